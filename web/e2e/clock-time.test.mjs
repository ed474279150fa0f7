// The clock shows the time the services assembled, not the browser's own zone
// rules: a proxy between the page and the real funnel adds an hour to every
// frame's hours (as an hours service with other zone rules would), and the
// page must show that hour and say the services and the browser disagree.
// And with reduced motion the clock shows no milliseconds.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { DAY_MS, DESKTOP, dialDifference, msOfDay, openPage, readClock, waitForState, waitForSync } from "./browser.mjs";
import { startFleetAndBrowser, stopFleetAndBrowser } from "./suite.mjs";

const HOUR_MS = 3_600_000;
/** The read of the shown time and of this machine's clock are a few ms apart; the fleet runs on this clock. */
const TOLERANCE_MS = 1_000;

let fleet;
let browser;

before(async () => ({ fleet, browser } = await startFleetAndBrowser()));
after(() => stopFleetAndBrowser({ fleet, browser }));

/**
 * The time shown, once it is whole: a frame a service missed (likely on a
 * busy machine) blanks that frame's digits, so a blank read is read again.
 */
async function readWholeClock(page) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const shown = await readClock(page);
    if (/^\d\d:\d\d:\d\d\.\d{3}$/.test(shown.text) || Date.now() > deadline) return shown;
  }
}

/** A frame from the funnel with its hours one later, `time` to match; anything else as it came. */
function oneHourLater(text) {
  const message = JSON.parse(text);
  if (typeof message.hours !== "number") return text;
  const hours = (message.hours + 1) % 24;
  message.hours = hours;
  message.time = `${String(hours).padStart(2, "0")}${message.time.slice(2)}`;
  return JSON.stringify(message);
}

test("the page shows the hour the services sent, and says it is not the browser's", async () => {
  const context = await browser.newContext(DESKTOP);
  const page = await context.newPage();
  await page.routeWebSocket("**/ws**", (socket) => {
    const funnel = socket.connectToServer();
    socket.onMessage((message) => funnel.send(message));
    funnel.onMessage((message) => socket.send(typeof message === "string" ? oneHourLater(message) : message));
  });
  await page.goto(`${fleet.url}?tz=Asia/Tokyo`);
  await waitForState(page, "live");
  await waitForSync(page);

  const shown = await readWholeClock(page);
  const tokyoPlusOne = (shown.wallMs + 10 * HOUR_MS) % DAY_MS;
  const error = dialDifference(msOfDay(shown.text), tokyoPlusOne);
  assert.ok(Math.abs(error) < TOLERANCE_MS, `shown ${shown.text} is ${error} ms from Tokyo's time plus an hour`);
  assert.match(await page.getByTestId("zone").textContent(), /^Asia\/Tokyo · UTC\+10:00$/);
  const notice = page.getByTestId("service-time-notice");
  await notice.waitFor({ timeout: 5_000 });
  assert.equal(
    await notice.textContent(),
    "The services say UTC+10:00 for Asia/Tokyo; this browser’s rules say UTC+09:00. Showing the services’ time.",
  );
  await context.close();
});

test("without a proxy the services and the browser agree, and nothing is said", async () => {
  const { page, context } = await openPage(browser, `${fleet.url}?tz=Asia/Kathmandu`);
  await waitForState(page, "live");
  await waitForSync(page);
  const shown = await readWholeClock(page);
  const kathmandu = (shown.wallMs + 5.75 * HOUR_MS) % DAY_MS;
  assert.ok(Math.abs(dialDifference(msOfDay(shown.text), kathmandu)) < TOLERANCE_MS, shown.text);
  assert.equal(await page.getByTestId("service-time-notice").count(), 0);
  assert.equal(await page.getByRole("heading", { name: "Live clock" }).count(), 1);
  await context.close();
});

test("with reduced motion the clock shows no milliseconds, until the switch asks for them", async () => {
  const context = await browser.newContext({ ...DESKTOP, reducedMotion: "reduce" });
  const page = await context.newPage();
  await page.goto(`${fleet.url}?tz=UTC`);
  await waitForState(page, "live");
  await waitForSync(page);
  const time = page.getByTestId("time");
  await page.waitForFunction(() => /^\d\d:\d\d:\d\d$/.test(document.querySelector('[data-testid="time"]').textContent));
  const toggle = page.getByRole("switch", { name: "Show milliseconds" });
  assert.equal(await toggle.isChecked(), false);

  await toggle.click();
  await page.waitForFunction(() =>
    /^\d\d:\d\d:\d\d\.\d{3}$/.test(document.querySelector('[data-testid="time"]').textContent),
  );
  // The choice is kept: a reload shows milliseconds still.
  await page.reload();
  await waitForState(page, "live");
  await page.waitForFunction(() =>
    /^\d\d:\d\d:\d\d\.\d{3}$/.test(document.querySelector('[data-testid="time"]').textContent),
  );
  assert.equal(await page.getByRole("switch", { name: "Show milliseconds" }).isChecked(), true);
  assert.match(await time.textContent(), /\.\d{3}$/);
  await context.close();
});
