// Every page of the app in the state worth looking at, for the checks that
// visit them all (axe-core in a11y.test.mjs, screenshots in screens.test.mjs):
// a fresh context per page, device and colour scheme, with the page brought
// into its state (timers set and fired, an account signed in) by the person's
// own clicks. A new page is one line in PAGES.
import { PATIENCE_MS, openPage } from "./browser.mjs";

/** Every page, as the checks that visit them all see it: a new page is one line here. */
export const PAGES = [
  { name: "clock", path: "/", heading: { name: "Live clock", level: 2 } },
  { name: "world", path: "/world?zones=Asia/Tokyo,Europe/Paris,America/New_York", heading: { name: "World clock", level: 2 } },
  { name: "wall", path: "/wall?tz=Asia/Tokyo", heading: { name: "Wall clock", level: 2 } },
  { name: "timers", path: "/timers", heading: { name: "Timers", level: 2 }, prepare: timersRunningAndFired },
  { name: "random", path: "/random", heading: { name: "Random numbers", level: 2 } },
  { name: "status", path: "/status", heading: { name: "Status", level: 2 } },
  { name: "account-signed-out", path: "/account", heading: { name: "Account", level: 2 } },
  { name: "account-signed-in", path: "/account", heading: { name: "Account", level: 2 }, prepare: signedIn },
  { name: "missing", path: "/no/such/page", heading: { name: "No page here", level: 2 } },
];

/** What a fleet needs to serve every page with live data. */
export const EVERY_SERVICE = { accounts: true, timers: true, random: true, gateway: true, stream: true };

/** Sets a timer from the Timers page's form and waits for its card. */
export async function startTimer(page, seconds, label) {
  await page.getByLabel("Seconds").fill(String(seconds));
  await page.getByLabel(/^Label/).fill(label);
  await page.getByRole("button", { name: "Start timer" }).click();
  await page.getByTestId("pending-timer").filter({ hasText: label }).waitFor({ timeout: PATIENCE_MS });
}

/** The Timers page with a timer still running, one that has fired (in the history) and its alert shown. */
export async function timersRunningAndFired(page) {
  await startTimer(page, 600, "long-tea");
  await startTimer(page, 1, "short-tea");
  await page.getByTestId("timer-alert").filter({ hasText: "short-tea" }).waitFor({ timeout: PATIENCE_MS });
  await page.locator('[data-testid="history-timer"][data-state="fired"]').first().waitFor({ timeout: PATIENCE_MS });
}

let accounts = 0;

/** Registers a new account on the Account page (which signs it in) and waits for "Signed in as …". */
export async function signedIn(page) {
  accounts += 1;
  const form = page.getByTestId("register-form");
  await form.getByLabel("Username").fill(`look_${process.pid}_${accounts}`);
  await form.getByLabel("Password").fill("correct horse battery");
  await form.getByRole("button", { name: "Create account" }).click();
  await page.getByTestId("account-signed-in").waitFor({ timeout: PATIENCE_MS });
}

/** The page's heading, once it is there. */
export async function waitForHeading(page, { name, level }) {
  const heading = page.getByRole("heading", { name, level }).first();
  await heading.waitFor({ timeout: PATIENCE_MS });
  return heading;
}

/**
 * Opens `entry.path` of `fleet` in a new context of `browser` (`device`,
 * `scheme`), waits for its heading and brings it into its state. `problems`
 * collects console errors and warnings and uncaught exceptions from the start.
 */
export async function visit(browser, fleet, entry, device, scheme) {
  const opened = await openPage(browser, new URL(entry.path, fleet.url).href, { ...device, colorScheme: scheme });
  await waitForHeading(opened.page, entry.heading);
  await entry.prepare?.(opened.page);
  return opened;
}
