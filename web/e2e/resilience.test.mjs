// The page under failure: a component service killed and restarted, the
// funnel frozen (frames stop on an open socket), stopped and restarted, and
// current-time restarted with its clock stepped.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  DAY_MS,
  dialDifference,
  msOfDay,
  openPage,
  readClock,
  readSync,
  waitForState,
  waitForSync,
  waitForTimeToChange,
} from "./browser.mjs";
import { startFleetAndBrowser, stopFleetAndBrowser } from "./suite.mjs";

let fleet;
let browser;

before(async () => ({ fleet, browser } = await startFleetAndBrowser()));
after(() => stopFleetAndBrowser({ fleet, browser }));

async function openLive() {
  const opened = await openPage(browser, `${fleet.url}?tz=UTC`);
  await waitForState(opened.page, "live");
  await waitForSync(opened.page);
  return opened;
}

test("a killed component service shows as degraded, and restarting it clears it", async () => {
  const { page, context } = await openLive();
  await fleet.stopService("minutes");
  await waitForState(page, "degraded");
  assert.match(await page.textContent('[data-testid="status"]'), /minutes/);
  assert.match((await readClock(page)).text, /^\d\d:--:\d\d\.\d\d\d$/);

  await fleet.startService("minutes");
  await waitForState(page, "live");
  assert.match((await readClock(page)).text, /^\d\d:\d\d:\d\d\.\d\d\d$/);
  await context.close();
});

test("frames that stop on an open socket are shown as stalled, not as a live clock", async () => {
  const { page, context } = await openLive();
  const funnel = fleet.children.get("funnel");
  funnel.kill("SIGSTOP");
  try {
    await waitForState(page, "stalled");
    assert.match(await page.textContent('[data-testid="status"]'), /frame/i);
  } finally {
    funnel.kill("SIGCONT");
  }
  await waitForState(page, "live");
  await context.close();
});

test("a stopped funnel shows reconnecting, and restarting it resumes the clock", async () => {
  const { page, context } = await openLive();
  const synced = (await readSync(page)).exchanges;
  await fleet.stopService("funnel", "SIGTERM");
  await waitForState(page, "reconnecting");
  assert.match(await page.textContent('[data-testid="status"]'), /reconnect/i);

  await fleet.startService("funnel");
  await waitForState(page, "live");
  await waitForSync(page, synced + 8); // a new burst on the new connection
  const first = await readClock(page);
  await waitForTimeToChange(page, first.text);
  await context.close();
});

test("a stepped server clock is followed: the page measures again and shows the new time", async () => {
  const { page, context } = await openLive();
  const BEHIND_MS = -30_000;
  fleet.options.clock = `offset:${BEHIND_MS}ms`;
  try {
    await fleet.stopService("current-time");
    await fleet.startService("current-time");
    await page.waitForFunction(
      (expected) => {
        const offset = document.querySelector('[data-testid="sync"]')?.dataset.offsetMs;
        return offset !== undefined && offset !== "" && Math.abs(Number(offset) - expected) < 100;
      },
      BEHIND_MS,
      { timeout: 15_000 },
    );
    await waitForState(page, "live");
    const shown = await readClock(page);
    const error = dialDifference(msOfDay(shown.text), (shown.wallMs + BEHIND_MS) % DAY_MS);
    assert.ok(Math.abs(error) <= 50, `shown ${shown.text} is ${error} ms from the stepped clock`);
  } finally {
    delete fleet.options.clock;
  }
  await context.close();
});
