// The Timers page in headless Chromium against a real fleet with the timer
// service, the REST gateway (the page's /api/timers calls) and the SSE
// stream service (its /stream/timers events), both found through the
// funnel's /config.json: a timer set through the form counts down, fires (an alert, a
// system notification, the history with how late it fired), another is
// cancelled, one due while the timer service is down fires late when it is
// back, the pages link to each other without reloading, and the page fits
// phones and desktops, light and dark, without console errors.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { DESKTOP, openPage, pageOverflows, PATIENCE_MS, PHONE, screenshot, waitForState } from "./browser.mjs";
import { startFleetAndBrowser, stopFleetAndBrowser } from "./suite.mjs";

let fleet;
let browser;

before(async () => ({ fleet, browser } = await startFleetAndBrowser({ timers: true, gateway: true, stream: true })));
after(() => stopFleetAndBrowser({ fleet, browser }));

/** The gateway's /api/timers…, as JSON. */
async function api(path, init) {
  const response = await fetch(new URL(`api/timers${path}`, fleet.urlOf("gateway")), init);
  return { status: response.status, body: await response.json() };
}

/** `0:01.7`, `12:05.0`, `1:02:03.4` → seconds. */
function countdownSeconds(text) {
  const match = /^(?:(\d+):)?(\d+):(\d\d)\.(\d)$/.exec(text);
  assert.ok(match, `'${text}' is not a countdown`);
  const [hours, minutes, seconds, tenths] = match.slice(1).map((part) => Number(part ?? 0));
  return hours * 3600 + minutes * 60 + seconds + tenths / 10;
}

/** Waits until the page's event stream is `state` (connecting, live, reconnecting). */
async function waitForStream(page, state) {
  await page.waitForFunction(
    (wanted) => document.querySelector('[data-testid="timers-status"]')?.dataset.stream === wanted,
    state,
    { timeout: PATIENCE_MS },
  );
}

/** A link of the page's navigation. */
function navLink(page, name) {
  return page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name });
}

/** Sets a timer through the form. */
async function setTimer(page, { hours = "", minutes = "", seconds = "", label }) {
  const form = page.getByTestId("timer-form");
  await form.getByLabel("Hours").fill(hours);
  await form.getByLabel("Minutes").fill(minutes);
  await form.getByLabel("Seconds").fill(seconds);
  await form.getByLabel(/^Label/).fill(label);
  await form.getByRole("button", { name: "Start timer" }).click();
}

/** Records each system notification the page shows (and still shows it). */
function recordNotifications() {
  window.__notifications = [];
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notifications.push({ title, body: options?.body });
    }
  };
}

test("a 2-second timer set through the form counts down and fires: alert, notification, history", async () => {
  const { page, context, problems } = await openPage(
    browser,
    `${fleet.url}timers`,
    { ...DESKTOP, permissions: ["notifications"] },
    { initScript: recordNotifications },
  );
  await page.getByRole("heading", { name: "Timers" }).waitFor();
  assert.equal(await page.title(), "Clocker — timers");
  assert.equal(await navLink(page, "Timers").getAttribute("aria-current"), "page");
  assert.equal(await page.getByTestId("notify").getAttribute("data-access"), "granted");
  // Nothing set from this browser yet: nothing to follow, no stream (once the page knows where it would be).
  await waitForStream(page, "idle");

  await setTimer(page, { seconds: "2", label: "tea" });
  const row = page.getByTestId("pending-timer").filter({ hasText: "tea" });
  await row.waitFor();
  // Setting it opened the stream, naming it.
  await waitForStream(page, "live");
  const first = countdownSeconds(await row.getByTestId("countdown").textContent());
  assert.ok(first > 0 && first <= 2, `first countdown ${first} s`);
  // Counting down, frame after frame, for 400 ms.
  const shown = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const seen = [];
        const start = performance.now();
        const step = () => {
          const text = document.querySelector('[data-testid="pending-timer"] [data-testid="countdown"]')?.textContent;
          if (text) seen.push(text);
          if (text && performance.now() - start < 400) requestAnimationFrame(step);
          else resolve(seen);
        };
        requestAnimationFrame(step);
      }),
  );
  const seconds = shown.map(countdownSeconds);
  assert.ok(new Set(shown).size >= 3, `only ${new Set(shown).size} distinct countdowns in 400 ms: ${shown}`);
  assert.ok(
    seconds.every((value, i) => i === 0 || value <= seconds[i - 1]),
    `the countdown went up: ${shown}`,
  );

  // It fires: an alert on the page, a system notification, and the history.
  const alert = page.getByRole("alert").filter({ hasText: "tea" });
  await alert.waitFor({ timeout: PATIENCE_MS });
  assert.match(await alert.textContent(), /Time’s up: tea/);
  const fired = page.locator('[data-testid="history-timer"][data-state="fired"]').filter({ hasText: "tea" });
  await fired.waitFor();
  await row.waitFor({ state: "detached" });
  const lateMs = Number(await fired.getAttribute("data-late-ms"));
  assert.ok(Number.isInteger(lateMs) && lateMs >= 0 && lateMs < 2_000, `late_ms ${lateMs}`);
  assert.match(await fired.textContent(), lateMs === 0 ? /on time/ : /late/);
  const notifications = await page.evaluate(() => window.__notifications);
  assert.deepEqual(
    notifications.map((n) => n.title),
    ["Time’s up: tea"],
  );

  // The server agrees, and it did not fire early.
  const id = await fired.getAttribute("data-timer-id");
  const { status, body } = await api(`/${id}`);
  assert.equal(status, 200);
  assert.equal(body.state, "fired");
  assert.equal(body.late_ms, lateMs);
  assert.ok(body.ended_at_unix_ms >= body.fires_at_unix_ms, JSON.stringify(body));

  await screenshot(page, "timers-alert");
  await alert.getByRole("button", { name: /Dismiss/ }).click();
  await alert.waitFor({ state: "detached" });
  assert.deepEqual(problems, []);
  await context.close();
});

test("a pending timer can be cancelled, and the history shows it cancelled", async () => {
  const { page, context, problems } = await openPage(browser, `${fleet.url}timers`);
  await page.getByRole("heading", { name: "Timers" }).waitFor();
  assert.ok(await page.getByRole("button", { name: "Notify me" }).isVisible(), "permission is asked for on a press");

  await setTimer(page, { minutes: "10", label: "later" });
  const row = page.getByTestId("pending-timer").filter({ hasText: "later" });
  await row.waitFor();
  assert.match(await row.getByTestId("countdown").textContent(), /^(10:00\.0|9:5\d\.\d)$/);

  await page.getByRole("button", { name: "Cancel later" }).click();
  await row.waitFor({ state: "detached" });
  const cancelled = page.locator('[data-testid="history-timer"][data-state="cancelled"]').filter({ hasText: "later" });
  await cancelled.waitFor();
  assert.match(await cancelled.textContent(), /left/);

  const { body } = await api(`/${await cancelled.getAttribute("data-timer-id")}`);
  assert.equal(body.state, "cancelled");
  assert.equal(await page.getByRole("alert").count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test("the form explains what it cannot send, and the server's refusals", async () => {
  const { page, context, problems } = await openPage(browser, `${fleet.url}timers`);
  await page.getByRole("heading", { name: "Timers" }).waitFor();
  await setTimer(page, { seconds: "", label: "nothing" });
  await page.getByText("Set at least one second.").waitFor();
  await setTimer(page, { seconds: "-3", label: "negative" });
  await page.getByText("Seconds: “-3” is not a whole number.").waitFor();
  // "1 h 10m": a number field would have read "10m" as empty and started a 1 h timer.
  await setTimer(page, { hours: "1", minutes: "10m", label: "typo" });
  await page.getByText("Minutes: “10m” is not a whole number.").waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), await page.getByLabel("Minutes").getAttribute("id"));
  assert.equal(await page.getByTestId("pending-timer").count(), 0);

  const refused = await api("", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ hours: 0, minutes: 0, seconds: -1, label: "" }),
  });
  assert.equal(refused.status, 400);
  assert.equal(typeof refused.body.error, "string");
  assert.deepEqual(problems, []);
  await context.close();
});

test("Clock and Timers link to each other without reloading, and the clock keeps its zone", async () => {
  const { page, context, problems } = await openPage(browser, `${fleet.url}?tz=Asia/Kolkata`);
  await waitForState(page, "live");
  await page.evaluate(() => (window.__sameDocument = true));

  await navLink(page, "Timers").click();
  await page.getByRole("heading", { name: "Timers" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/timers");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "main");

  await navLink(page, "Clock").click();
  await page.getByTestId("zone").filter({ hasText: "Asia/Kolkata" }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get("tz"), "Asia/Kolkata");
  assert.equal(await page.title(), "Clocker — a live clock");

  await page.goBack();
  await page.getByRole("heading", { name: "Timers" }).waitFor();
  await page.goForward();
  await page.getByTestId("zone").filter({ hasText: "Asia/Kolkata" }).waitFor();
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "the page reloaded");

  // Any other path is the page too (the funnel serves it), saying there is nothing there.
  await page.goto(`${fleet.url}nowhere`);
  await page.getByRole("heading", { name: "No page here" }).waitFor();
  await navLink(page, "Timers").click();
  await page.getByRole("heading", { name: "Timers" }).waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test("timers page screenshots, desktop and phone, light and dark, without console errors", async () => {
  const set = await api("", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      hours: 1,
      minutes: 30,
      seconds: 0,
      label: "a long label for the oven, the rice and the washing up",
    }),
  });
  assert.equal(set.status, 201, JSON.stringify(set.body));
  const ended = await api("", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ minutes: 5, label: "cancelled tea" }),
  });
  assert.equal((await api(`/${ended.body.id}`, { method: "DELETE" })).status, 200);
  // The page shows only the timers this browser set (their ids in localStorage).
  const initScript = `localStorage.setItem("clocker.timerIds", ${JSON.stringify(JSON.stringify([ended.body.id, set.body.id]))});`;
  for (const [name, device] of [
    ["timers-desktop", DESKTOP],
    ["timers-phone", PHONE],
    ["timers-desktop-dark", { ...DESKTOP, colorScheme: "dark" }],
    ["timers-phone-dark", { ...PHONE, colorScheme: "dark" }],
  ]) {
    const { page, context, problems } = await openPage(browser, `${fleet.url}timers`, device, { initScript });
    await page.getByTestId("pending-timer").first().waitFor();
    await page.getByTestId("history-timer").first().waitFor();
    const path = await screenshot(page, name);
    const overflow = await pageOverflows(page);
    assert.equal(overflow, false, `${name}: the page is wider than the screen (${path})`);
    assert.deepEqual(problems, [], `${name}: ${path}`);
    await context.close();
  }
});

test("a timer due while the timer service is down fires when it is back, late, and the page says so", async () => {
  const { page, context } = await openPage(browser, `${fleet.url}timers`);
  await setTimer(page, { seconds: "2", label: "outage" });
  const row = page.getByTestId("pending-timer").filter({ hasText: "outage" });
  await row.waitFor();
  await waitForStream(page, "live");

  await fleet.stopService("timers");
  try {
    await waitForStream(page, "reconnecting");
    assert.match(await page.getByTestId("timers-status").textContent(), /reconnecting|not answering/i);
    // Past due on the page's clock, with nobody to fire it.
    const overdue = page.locator('[data-testid="pending-timer"][data-overdue="true"]').filter({ hasText: "outage" });
    await overdue.waitFor();
    assert.match(await overdue.textContent(), /waiting for the timer service/);
  } finally {
    await fleet.startService("timers");
  }

  await page.getByRole("alert").filter({ hasText: "outage" }).waitFor({ timeout: PATIENCE_MS });
  const fired = page.locator('[data-testid="history-timer"][data-state="fired"]').filter({ hasText: "outage" });
  await fired.waitFor();
  const lateMs = Number(await fired.getAttribute("data-late-ms"));
  assert.ok(lateMs > 0, `late_ms ${lateMs}`);
  assert.match(await fired.textContent(), /late/);
  await waitForStream(page, "live");
  await context.close();
});

test("the page never shows timers another browser set, nor their labels as alerts", async () => {
  const stranger = await api("", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ seconds: 1, label: "somebody else's secret" }),
  });
  assert.equal(stranger.status, 201, JSON.stringify(stranger.body));
  const { page, context, problems } = await openPage(browser, `${fleet.url}timers`);
  // Until the stranger's timer has fired (the service says so).
  const deadline = Date.now() + PATIENCE_MS;
  while ((await api(`/${stranger.body.id}`)).body.state !== "fired") {
    assert.ok(Date.now() < deadline, "the stranger's timer did not fire");
    await page.waitForTimeout(50);
  }
  // Events come in order: by the time this page's own timer has fired, the
  // stranger's would have been seen, were it shown.
  await setTimer(page, { seconds: "1", label: "mine" });
  await page.getByRole("alert").filter({ hasText: "mine" }).waitFor({ timeout: PATIENCE_MS });
  assert.equal(await page.getByText("somebody else's secret").count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});
