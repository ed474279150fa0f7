// The world clock and wall-clock mode in headless Chromium against a real
// fleet with the REST gateway and the accounts service: zones added with the
// picker land in the address and survive a reload, each drawn with the offset
// the gateway's /api/time gives; signed in, they are kept on the account and
// another browser signed in to it shows them; /wall shows large digits and
// says what the screen will do.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { freshUsername, PASSWORD, registerAccount, signIn } from "./accountSteps.mjs";
import { openPage, PATIENCE_MS, waitForState } from "./browser.mjs";
import { startFleetAndBrowser, stopFleetAndBrowser } from "./suite.mjs";

let fleet;
let browser;

before(async () => ({ fleet, browser } = await startFleetAndBrowser({ accounts: true, timers: true, gateway: true, stream: true })));
after(() => stopFleetAndBrowser({ fleet, browser }));

const cardZones = (page) =>
  page.$$eval('[data-testid="world-card"]', (cards) => cards.map((card) => card.dataset.zone));

async function addZone(page, typed) {
  const picker = page.getByRole("combobox", { name: "Time zone" });
  await picker.click();
  await picker.fill(typed);
  await picker.press("Enter");
}

test("zones added on /world are in the address, survive a reload, and are drawn by the services' offsets", async () => {
  const { page, context, problems } = await openPage(browser, `${fleet.url}world`);
  await waitForState(page, "live");
  await addZone(page, "Tokyo");
  await addZone(page, "Paris");
  assert.deepEqual(await cardZones(page), ["Asia/Tokyo", "Europe/Paris"]);
  assert.equal(new URL(page.url()).search, "?zones=Asia/Tokyo,Europe/Paris");

  await page.reload();
  await waitForState(page, "live");
  assert.deepEqual(await cardZones(page), ["Asia/Tokyo", "Europe/Paris"]);
  // Both offsets came from the gateway, not the browser's rules.
  await page.waitForFunction(() =>
    [...document.querySelectorAll('[data-testid="world-card"]')].every((card) => card.dataset.source === "services"),
  );
  // Once the clock is synced, the digits.
  await page.waitForFunction(() =>
    [...document.querySelectorAll('[data-testid="world-time"]')].every((time) => /^\d\d:\d\d:\d\d$/.test(time.textContent)),
  );
  const tokyo = page.locator('[data-testid="world-card"][data-zone="Asia/Tokyo"]');
  assert.match(await tokyo.textContent(), /UTC\+09:00/);

  await page.getByRole("button", { name: "Remove Asia/Tokyo" }).click();
  assert.equal(new URL(page.url()).search, "?zones=Europe/Paris");
  assert.deepEqual(problems, []);
  await context.close();
});

test("signed in, the world clock is kept on the account: another browser signed in to it shows the same zones", async () => {
  const username = freshUsername("e2e-world");
  await registerAccount(fleet, username);
  const a = await openPage(browser, fleet.url);
  const b = await openPage(browser, fleet.url);
  await signIn(a.page, fleet, username);
  await a.page.goto(`${fleet.url}world`);
  await waitForState(a.page, "live");
  await addZone(a.page, "Tokyo");
  await addZone(a.page, "Kolkata");
  assert.deepEqual(await cardZones(a.page), ["Asia/Tokyo", "Asia/Kolkata"]);

  // The account has them once the debounced save is made: the gateway says so to a session of its own.
  const login = await fetch(new URL("api/sessions", fleet.urlOf("gateway")), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  const { token } = await login.json();
  const deadline = Date.now() + PATIENCE_MS;
  let saved = null;
  while (Date.now() < deadline) {
    const response = await fetch(new URL("api/account/world-clock", fleet.urlOf("gateway")), {
      headers: { authorization: `Bearer ${token}` },
    });
    saved = await response.json();
    if (saved.zones?.length === 2) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(saved, { zones: ["Asia/Tokyo", "Asia/Kolkata"] });

  // Another browser, the same account, an address with no zones: the account's list.
  await signIn(b.page, fleet, username);
  await b.page.goto(`${fleet.url}world`);
  await b.page.locator('[data-testid="world-card"]').nth(1).waitFor({ timeout: PATIENCE_MS });
  assert.deepEqual(await cardZones(b.page), ["Asia/Tokyo", "Asia/Kolkata"]);
  assert.deepEqual([...a.problems, ...b.problems], []);
  await a.context.close();
  await b.context.close();
});

test("/wall shows the zone's time in large digits, says whether the screen stays on, and Escape leaves", async () => {
  const { page, context, problems } = await openPage(browser, `${fleet.url}wall?tz=Asia/Tokyo`);
  await waitForState(page, "live");
  // Once the clock is synced, the digits.
  await page.waitForFunction(() => /^\d\d:\d\d:\d\d$/.test(document.querySelector('[data-testid="time"]').textContent));
  const fontSize = await page
    .getByTestId("time")
    .evaluate((element) => Number.parseFloat(getComputedStyle(element).fontSize));
  assert.ok(fontSize >= 150, `the digits are ${fontSize}px`);
  assert.match(await page.getByTestId("zone").textContent(), /^Asia\/Tokyo · UTC\+09:00$/);

  const wake = page.getByTestId("wake-lock");
  await page.waitForFunction(() => document.querySelector('[data-testid="wake-lock"]').dataset.state !== "asking");
  const state = await wake.getAttribute("data-state");
  assert.equal(
    await wake.textContent(),
    state === "held" ? "Screen kept on while this page is shown" : "Screen may sleep: wake lock not available",
  );

  await page.keyboard.press("Escape");
  await page.waitForURL((url) => url.pathname === "/");
  assert.equal(new URL(page.url()).searchParams.get("tz"), "Asia/Tokyo");
  assert.deepEqual(problems, []);
  await context.close();
});
