// The world clock and wall-clock mode in headless Chromium against a real
// fleet with the REST gateway: zones added with the picker land in the
// address and survive a reload, each drawn with the offset the gateway's
// /api/time gives; /wall shows large digits and says what the screen will do.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Fleet } from "./fleet.mjs";
import { launchBrowser, openPage, waitForState } from "./browser.mjs";

let fleet;
let browser;

before(async () => {
  fleet = await Fleet.start({ gateway: true });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await fleet?.stop();
});

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
