// Alarms and timers across browsers, in headless Chromium against a real fleet
// (accounts, timers, the REST gateway and the SSE stream service): an alarm at
// a time of day in a zone, asked of the gateway's GET /api/time/next, is a
// pending timer that fires at that minute, and on the day the clocks spring
// forward a 02:30 alarm says what it will do; and with two browser contexts
// signed in to one account, a timer set in one shows in the other's list and
// fires there as an alert that takes focus — on the clock page, not /timers.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { DESKTOP, PATIENCE_MS, openPage } from "./browser.mjs";
import { freshUsername, registerAccount, signIn } from "./accountSteps.mjs";
import { Fleet } from "./fleet.mjs";
import { startFleetAndBrowser, stopFleetAndBrowser } from "./suite.mjs";


let fleet;
let browser;

before(async () => ({ fleet, browser } = await startFleetAndBrowser({ accounts: true, timers: true, gateway: true, stream: true })));
after(() => stopFleetAndBrowser({ fleet, browser }));

/** A call on the REST gateway, as JSON. */
async function gateway(path, init) {
  const response = await fetch(new URL(path, fleet.urlOf("gateway")), init);
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** `HH:MM` of `unixMs` in `zone`, on the 24-hour clock. */
function hoursMinutes(unixMs, zone) {
  return new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(
    unixMs,
  );
}

/** Waits until the Timers page follows the account's timers live. */
async function waitForLiveAccountTimers(page) {
  await page.locator('[data-testid="timers-whose"][data-signed-in="true"]').waitFor({ timeout: PATIENCE_MS });
  await page
    .locator('[data-testid="timers-status"][data-stream="live"]')
    .waitFor({ state: "attached", timeout: PATIENCE_MS });
}

test("an alarm two minutes ahead in Tokyo is a pending timer due at that minute", async () => {
  const zone = "Asia/Tokyo";
  const { page, context, problems } = await openPage(browser, `${fleet.url}timers`, DESKTOP);
  await page.getByRole("heading", { name: "Set an alarm" }).waitFor();

  // Tokyo's offset is whole hours, so its minutes start when UTC's do.
  const ringsAt = Math.floor(Date.now() / 60_000) * 60_000 + 2 * 60_000;
  const at = hoursMinutes(ringsAt, zone);
  const form = page.getByTestId("alarm-form");
  await form.getByRole("textbox", { name: /^Time \(/ }).fill(at);
  const picker = form.getByRole("combobox", { name: "Time zone" });
  await picker.fill("Tokyo");
  await picker.press("Enter");
  assert.equal(await picker.inputValue(), zone);
  await form.getByRole("button", { name: "Set alarm" }).click();

  const plan = form.getByTestId("alarm-plan");
  await plan.filter({ hasText: "Alarm set." }).waitFor({ timeout: PATIENCE_MS });
  assert.match(await plan.textContent(), new RegExp(`^Alarm set\\. Rings at ${at} \\S+ (today|tomorrow), in [12] min\\.$`));

  const row = page.getByTestId("pending-timer").filter({ hasText: `Alarm ${at} ${zone}` });
  await row.waitFor({ timeout: PATIENCE_MS });
  const { status, body } = await gateway(`api/timers/${await row.getAttribute("data-timer-id")}`);
  assert.equal(status, 200);
  assert.equal(body.state, "pending");
  assert.ok(
    body.fires_at_unix_ms >= ringsAt && body.fires_at_unix_ms < ringsAt + 1_500,
    `fires at ${new Date(body.fires_at_unix_ms).toISOString()}, not at ${new Date(ringsAt).toISOString()}`,
  );
  assert.deepEqual(problems, []);
  await context.close();
});

test("on the day Berlin springs forward, a 02:30 alarm says that time does not exist and rings at 03:30 CEST", async () => {
  // A fleet whose clock (current-time's) reads noon UTC on Saturday 27 March 2027, the day before the change.
  const saturdayNoon = Date.parse("2027-03-27T12:00:00Z");
  const springFleet = await Fleet.start({ clock: `offset:${saturdayNoon - Date.now()}ms`, timers: true, gateway: true, stream: true });
  const { page, context, problems } = await openPage(browser, `${springFleet.url}timers`, DESKTOP);
  try {
    const form = page.getByTestId("alarm-form");
    await form.getByRole("textbox", { name: /^Time \(/ }).fill("02:30");
    const picker = form.getByRole("combobox", { name: "Time zone" });
    await picker.fill("Berlin");
    await picker.press("Enter");
    assert.equal(await picker.inputValue(), "Europe/Berlin");
    await form.getByRole("button", { name: "Set alarm" }).click();

    const plan = form.getByTestId("alarm-plan");
    await plan.filter({ hasText: "Alarm set." }).waitFor({ timeout: PATIENCE_MS });
    assert.match(
      await plan.textContent(),
      /^Alarm set\. 02:30 does not exist in Europe\/Berlin on Sunday 28 March 2027 \(clocks go forward from 02:00 to 03:00\); the alarm rings at 03:30 CEST\. Rings at 03:30 CEST tomorrow, in 13 h 30 min\.$/,
    );
    // The timer it set runs from the fleet's now (a moment after noon) to 01:30 UTC, 03:30 CEST. (Only
    // current-time's clock is moved here, so the row's countdown, on the timer service's clock, is not read.)
    const row = page.getByTestId("pending-timer").filter({ hasText: "Alarm 02:30 Europe/Berlin" });
    await row.waitFor({ timeout: PATIENCE_MS });
    assert.match(await row.textContent(), /^Alarm 02:30 Europe\/Berlin13 h (29 min \d+ s|30 min)\b/);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await springFleet.stop();
  }
});

test("a timer set in one browser shows in another signed in to the same account, and alerts there on the clock page", async () => {
  const username = freshUsername("e2e-alarm");
  await registerAccount(fleet, username);

  const a = await openPage(browser, fleet.url, DESKTOP);
  const b = await openPage(browser, fleet.url, DESKTOP);
  await signIn(a.page, fleet, username);
  await signIn(b.page, fleet, username);
  for (const { page } of [a, b]) {
    await page.goto(`${fleet.url}timers`);
    await waitForLiveAccountTimers(page);
  }

  // Set in A: B's list shows it.
  const form = a.page.getByTestId("timer-form");
  await form.getByLabel("Seconds").fill("8");
  await form.getByLabel(/^Label/).fill("shared tea");
  await form.getByRole("button", { name: "Start timer" }).click();
  await b.page.getByTestId("pending-timer").filter({ hasText: "shared tea" }).waitFor({ timeout: PATIENCE_MS });
  // Both tabs' titles count it down.
  for (const { page } of [a, b]) {
    await page.waitForFunction(() => /^0:0\d · shared tea — Clocker$/.test(document.title), null, { timeout: PATIENCE_MS });
  }

  // B goes to the clock, focus on a button there: the alert comes to it, and Escape gives focus back.
  await b.page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Clock" }).click();
  await b.page.waitForURL((url) => url.pathname === "/");
  const back = b.page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Timers" });
  await back.focus();
  const alert = b.page.getByTestId("timer-alert").filter({ hasText: "shared tea" });
  await alert.waitFor({ timeout: PATIENCE_MS });
  assert.equal(new URL(b.page.url()).pathname, "/");
  await b.page.waitForFunction(() => document.activeElement?.matches('[data-testid="timer-alert"]'), null, {
    timeout: PATIENCE_MS,
  });
  await b.page.keyboard.press("Escape");
  await alert.waitFor({ state: "detached" });
  assert.equal(await b.page.evaluate(() => document.activeElement?.textContent), "Timers");

  assert.deepEqual(a.problems, []);
  assert.deepEqual(b.problems, []);
  await a.context.close();
  await b.context.close();
});
