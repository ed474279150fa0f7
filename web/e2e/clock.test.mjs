// The clock page in headless Chromium against a real fleet whose clock runs
// 3.7 s ahead of this machine's: a page that ignored the clock sync would be
// 3.7 s off, and every check below would fail.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CurrentTime } from "./current-time.mjs";
import { Fleet } from "./fleet.mjs";
import { DAY_MS, DESKTOP, dialDifference, launchBrowser, msOfDay, openPage, pageOverflows, PHONE, readClock, readSync, screenshot, waitForState, waitForSync, waitForTimeToChange } from "./browser.mjs";

const AHEAD_MS = 3_700;
/** The bar: the time shown is within 50 ms of the server's. */
const TOLERANCE_MS = 50;

let fleet;
let browser;
let currentTime;

before(async () => {
  fleet = await Fleet.start({ clock: `offset:${AHEAD_MS}ms` });
  browser = await launchBrowser();
  currentTime = new CurrentTime(fleet.addrs.get("current-time"));
});

after(async () => {
  currentTime?.close();
  await browser?.close();
  await fleet?.stop();
});

/** Asserts the page shows current-time's instant in a zone `zoneOffsetMs`
 *  from UTC, within the tolerance plus the read's own uncertainty. */
async function assertShowsServerTime(page, zoneOffsetMs) {
  const server = await currentTime.offset();
  assert.ok(Math.abs(server.offsetMs - AHEAD_MS) < 100, `current-time is ${server.offsetMs} ms ahead`);
  for (let i = 0; i < 5; i += 1) {
    const shown = await readClock(page);
    const expected = (shown.wallMs + server.offsetMs + zoneOffsetMs) % DAY_MS;
    const error = dialDifference(msOfDay(shown.text), expected);
    assert.ok(
      Math.abs(error) <= TOLERANCE_MS + server.boundMs,
      `shown ${shown.text} is ${error.toFixed(1)} ms from current-time's instant`,
    );
  }
}

test("the page shows a time that advances, redrawn every animation frame", async () => {
  const { page, context } = await openPage(browser, `${fleet.url}?tz=UTC`);
  await waitForState(page, "live");
  await waitForSync(page);
  const first = await readClock(page);
  await waitForTimeToChange(page, first.text);
  const later = await readClock(page);
  const advanced = dialDifference(msOfDay(later.text), msOfDay(first.text));
  const elapsed = later.wallMs - first.wallMs;
  assert.ok(advanced > 0, `${first.text} then ${later.text}`);
  assert.ok(Math.abs(advanced - elapsed) <= TOLERANCE_MS, `advanced ${advanced} ms in ${elapsed} ms`);

  // Frames come at 20 Hz; a page drawing only on frames would show about 4
  // distinct times in 12 animation frames (~200 ms at 60 Hz).
  const drawn = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const seen = [];
        const step = () => {
          seen.push(document.querySelector('[data-testid="time"]').textContent);
          if (seen.length < 12) requestAnimationFrame(step);
          else resolve(seen);
        };
        requestAnimationFrame(step);
      }),
  );
  assert.ok(new Set(drawn).size >= 9, `only ${new Set(drawn).size} distinct times in 12 frames: ${drawn}`);
  await context.close();
});

test("the displayed time is within 50 ms of current-time's instant", async () => {
  const { page, context } = await openPage(browser, `${fleet.url}?tz=UTC`);
  await waitForState(page, "live");
  await waitForSync(page);
  await assertShowsServerTime(page, 0);

  const sync = await readSync(page);
  assert.ok(Math.abs(sync.offsetMs - AHEAD_MS) < 25, `estimated offset ${sync.offsetMs} ms`);
  assert.ok(sync.accuracyMs > 0 && sync.accuracyMs < 25, `accuracy ± ${sync.accuracyMs} ms`);
  assert.match(await page.textContent('[data-testid="accuracy"]'), /±\s*\d/);
  assert.match(await page.textContent('[data-testid="device-offset"]'), /3\.7\s*s\b.*behind/);
  await context.close();
});

test("switching to a zone with another offset changes the hour, and the link keeps it", async () => {
  const { page, context, problems } = await openPage(browser, `${fleet.url}?tz=UTC`);
  await waitForState(page, "live");
  await waitForSync(page);
  await assertShowsServerTime(page, 0);

  // Keyboard only: focus the picker, type, Enter.
  await page.focus('[data-testid="zone-picker"]');
  await page.keyboard.type("Asia/Kolkata");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="zone"]').textContent.includes("Asia/Kolkata"),
  );
  assert.match(await page.textContent('[data-testid="zone"]'), /UTC\+05:30/);
  assert.equal(new URL(page.url()).searchParams.get("tz"), "Asia/Kolkata");
  await waitForState(page, "live");
  await assertShowsServerTime(page, 5.5 * 3_600_000);

  await page.reload();
  await waitForState(page, "live");
  await waitForSync(page);
  assert.match(await page.textContent('[data-testid="zone"]'), /Asia\/Kolkata/);
  await assertShowsServerTime(page, 5.5 * 3_600_000);
  assert.deepEqual(problems, []);
  await context.close();
});

test("desktop and phone screenshots, light and dark, without console errors", async () => {
  for (const [name, device] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
    ["desktop-dark", { ...DESKTOP, colorScheme: "dark" }],
    ["phone-dark", { ...PHONE, colorScheme: "dark" }],
  ]) {
    const { page, context, problems } = await openPage(browser, `${fleet.url}?tz=Europe/Paris`, device);
    await waitForState(page, "live");
    await waitForSync(page);
    const path = await screenshot(page, name);
    const overflow = await pageOverflows(page);
    assert.equal(overflow, false, `${name}: the page is wider than the screen (${path})`);
    assert.deepEqual(problems, [], `${name}: ${path}`);
    await context.close();
  }
});

test("with reduced motion the second hand steps from second to second instead of sweeping", async () => {
  const secondHandAngles = async (reducedMotion) => {
    const { page, context } = await openPage(browser, `${fleet.url}?tz=UTC`, { ...DESKTOP, reducedMotion });
    await waitForState(page, "live");
    await waitForSync(page);
    const angles = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const hand = document.querySelector(".analog__hand--second").parentElement;
          const seen = [];
          const step = () => {
            seen.push(Number(/rotate\(([-\d.]+)\)/.exec(hand.getAttribute("transform"))[1]));
            if (seen.length < 12) requestAnimationFrame(step);
            else resolve(seen);
          };
          requestAnimationFrame(step);
        }),
    );
    await context.close();
    return angles;
  };
  const onTheSecond = (angle) => Math.abs(angle / 6 - Math.round(angle / 6)) < 1e-6;
  const stepped = await secondHandAngles("reduce");
  assert.ok(stepped.every(onTheSecond), `reduced motion: ${stepped}`);
  const swept = await secondHandAngles("no-preference");
  assert.ok(!swept.every(onTheSecond), `full motion: ${swept}`);
});
