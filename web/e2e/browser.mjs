// Headless Chromium (Debian's, driven by playwright-core) and what the
// tests read off the clock page.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** Where screenshots go (git-ignored). */
export const ARTIFACTS = fileURLToPath(new URL("../test-artifacts/", import.meta.url));

/** How long any wait for the page may take before a test fails. */
export const PATIENCE_MS = 15_000;

export const DESKTOP = { viewport: { width: 1280, height: 800 } };
/** A 390×844 phone (the issue's). */
export const PHONE_390 = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};
export const PHONE = {
  viewport: { width: 375, height: 667 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    // As root in a sandbox-less container, on a machine with no internet.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Opens `url` in a fresh context; `problems` collects console errors and
 * warnings and uncaught exceptions. `initScript` runs in the page before
 * its own scripts (e.g. to record calls to a browser API).
 */
export async function openPage(browser, url, device = DESKTOP, { initScript } = {}) {
  const context = await browser.newContext(device);
  const page = await context.newPage();
  if (initScript) await page.addInitScript(initScript);
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      const { url } = message.location();
      problems.push(`console.${message.type()}: ${message.text()}${url ? ` (${url})` : ""}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  await page.goto(url);
  return { page, context, problems };
}

/** Waits until the status says `state` (e.g. live, degraded, reconnecting). */
export async function waitForState(page, state, timeout = PATIENCE_MS) {
  await page.waitForFunction(
    (wanted) => document.querySelector('[data-testid="status"]')?.dataset.state === wanted,
    state,
    { timeout },
  );
}

/** Waits until the page has synced its clock with at least `exchanges` pongs
 *  (counted since it loaded: a stepped clock drops samples, not exchanges)
 *  and drawn a time from it (the next animation frame after the sync). */
export async function waitForSync(page, exchanges = 8, timeout = PATIENCE_MS) {
  await page.waitForFunction(
    (wanted) =>
      Number(document.querySelector('[data-testid="sync"]')?.dataset.exchanges ?? 0) >= wanted &&
      !document.querySelector('[data-testid="time"]').textContent.startsWith("--:--:--"),
    exchanges,
    { timeout },
  );
}

/**
 * How the page's clock sync stands, from the sync panel's data attributes
 * (on the clock page): `{ offsetMs, accuracyMs, samples, exchanges }`, the
 * offset being the server's clock minus `performance.timeOrigin +
 * performance.now()`; null for what is not known yet. Runs in the page.
 */
function syncInPage() {
  const data = document.querySelector('[data-testid="sync"]')?.dataset ?? {};
  const number = (text) => (text === undefined || text === "" ? null : Number(text));
  return {
    offsetMs: number(data.offsetMs),
    accuracyMs: number(data.accuracyMs),
    samples: number(data.samples) ?? 0,
    exchanges: number(data.exchanges) ?? 0,
  };
}

/** `syncInPage`, read from `page`. */
export function readSync(page) {
  return page.evaluate(syncInPage);
}

/**
 * The time shown and the page's wall clock (unix ms) when it was drawn: read
 * in an animation-frame callback, which runs right after the page's own
 * (registered a frame earlier) has drawn the time, however loaded the
 * machine is.
 */
export function readClock(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) =>
        requestAnimationFrame(() =>
          resolve({
            text: document.querySelector('[data-testid="time"]').textContent,
            wallMs: Date.now(),
          }),
        ),
      ),
  );
}

/** Waits until the time shown is no longer `text`. */
export async function waitForTimeToChange(page, text, timeout = PATIENCE_MS) {
  await page.waitForFunction(
    (previous) => document.querySelector('[data-testid="time"]').textContent !== previous,
    text,
    { timeout },
  );
}

export const DAY_MS = 86_400_000;

/** `HH:MM:SS.mmm` as milliseconds since midnight; throws on anything else. */
export function msOfDay(text) {
  const match = /^(\d\d):(\d\d):(\d\d)\.(\d\d\d)$/.exec(text);
  if (!match) throw new Error(`'${text}' is not HH:MM:SS.mmm`);
  const [hours, minutes, seconds, millis] = match.slice(1).map(Number);
  return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis;
}

/** `a − b` on a 24-hour dial, in (−12 h, +12 h]. */
export function dialDifference(a, b) {
  const difference = (((a - b) % DAY_MS) + DAY_MS) % DAY_MS;
  return difference > DAY_MS / 2 ? difference - DAY_MS : difference;
}

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}${name}.png`;
  await page.screenshot({ path });
  return path;
}

/**
 * Whether the page is wider than the screen it was opened on. Measured
 * against the viewport the test asked for, not `innerWidth`: on a phone
 * (`isMobile`) the layout viewport widens to fit whatever overflows, so
 * `scrollWidth > innerWidth` would never say so.
 */
export async function pageOverflows(page) {
  const screen = page.viewportSize()?.width ?? (await page.evaluate(() => window.innerWidth));
  return page.evaluate((width) => document.documentElement.scrollWidth > width, screen);
}
