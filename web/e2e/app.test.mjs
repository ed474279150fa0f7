// The app as a whole in headless Chromium against a real fleet (timers, the
// REST gateway and the stream service): the clock paints before
// /config.json answers, a timer's alert shows on a page other than /timers
// after a reload (every store starts at boot), and the keyboard shortcuts:
// `?` opens their help, Escape closes it, `/` focuses the zone search and
// `n` the timer form.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { DESKTOP, PATIENCE_MS, openPage, waitForState } from "./browser.mjs";
import { startFleetAndBrowser, stopFleetAndBrowser } from "./suite.mjs";

let fleet;
let browser;

before(async () => ({ fleet, browser } = await startFleetAndBrowser({ timers: true, gateway: true, stream: true })));
after(() => stopFleetAndBrowser({ fleet, browser }));

/** Waits until the element `selector` names has the focus. */
async function waitForFocus(page, selector) {
  await page.waitForFunction((wanted) => document.activeElement?.matches(wanted) === true, selector, {
    timeout: PATIENCE_MS,
  });
}

test("the clock paints before /config.json answers", async () => {
  const context = await browser.newContext(DESKTOP);
  const page = await context.newPage();
  // Hold /config.json back until the clock is on the screen. A page that waited for it would
  // give up on it first (after 3 s: the request fails) and only then draw the clock.
  const configFailed = [];
  page.on("requestfailed", (request) => {
    if (new URL(request.url()).pathname === "/config.json") configFailed.push(request.failure()?.errorText);
  });
  let release = () => {};
  const released = new Promise((resolve) => (release = resolve));
  await page.route("**/config.json", async (route) => {
    await released;
    await route.continue().catch(() => {}); // abandoned by the page meanwhile
  });
  try {
    await page.goto(`${fleet.url}?tz=UTC`, { waitUntil: "commit" });
    await page.getByTestId("time").waitFor({ timeout: PATIENCE_MS });
    assert.deepEqual(configFailed, [], "the clock was drawn only once /config.json had been given up on");
    release();
    await waitForState(page, "live");
    await page.waitForFunction(
      () => /^\d\d:\d\d:\d\d\.\d\d\d$/.test(document.querySelector('[data-testid="time"]')?.textContent ?? ""),
      null,
      { timeout: PATIENCE_MS },
    );
  } finally {
    release();
    await context.close();
  }
});

test("a timer set through the REST API alerts on /random after a reload", async () => {
  const { page, context, problems } = await openPage(browser, `${fleet.url}random`);
  const response = await fetch(new URL("api/timers", fleet.urlOf("gateway")), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ hours: 0, minutes: 0, seconds: 5, label: "core e2e" }),
  });
  assert.equal(response.status, 201);
  const { id } = await response.json();
  // As if this browser had set it: anonymous timers are followed by the ids it keeps.
  await page.evaluate((timerId) => localStorage.setItem("clocker.timerIds", JSON.stringify([timerId])), id);
  await page.reload();
  await page.getByRole("heading", { name: "Random numbers" }).waitFor({ timeout: PATIENCE_MS });

  const alert = page.getByTestId("timer-alert");
  await alert.waitFor({ timeout: PATIENCE_MS });
  assert.match(await alert.textContent(), /core e2e/);
  assert.equal(new URL(page.url()).pathname, "/random");
  assert.deepEqual(problems, []);
  await context.close();
});

test("? opens the shortcuts' help, Escape closes it, / focuses the zone search, n the timer form", async () => {
  const { page, context, problems } = await openPage(browser, `${fleet.url}status`);
  await page.getByRole("heading", { level: 2 }).first().waitFor({ timeout: PATIENCE_MS });
  assert.match(await page.getByTestId("shortcut-hint").textContent(), /Press \? for keyboard shortcuts/);

  await page.keyboard.press("?");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await help.waitFor({ timeout: PATIENCE_MS });
  assert.match(await help.textContent(), /zone/);
  await page.keyboard.press("Escape");
  await help.waitFor({ state: "hidden", timeout: PATIENCE_MS });

  await page.keyboard.press("/");
  await waitForFocus(page, '[data-testid="zone-picker"]');
  assert.equal(new URL(page.url()).pathname, "/");
  // The key was spent on the shortcut, not typed into the search.
  assert.doesNotMatch(await page.getByTestId("zone-picker").inputValue(), /\/$/);

  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("n");
  await waitForFocus(page, '[data-testid="timer-form"] input');
  assert.equal(new URL(page.url()).pathname, "/timers");
  assert.deepEqual(problems, []);
  await context.close();
});
