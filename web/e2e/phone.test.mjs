// The page on a 390×844 phone against a real fleet (timers, gateway, stream):
// a zone typed that matches nothing says so instead of leaving an empty list
// over the hint; the "no page here" view is styled and leads home; a fired
// timer's alert never covers a running timer's card; and the stream
// service's test page links back to the app. No horizontal overflow, no
// console errors.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openPage, pageOverflows, PATIENCE_MS, PHONE_390, screenshot } from "./browser.mjs";
import { startFleetAndBrowser, stopFleetAndBrowser } from "./suite.mjs";

let fleet;
let browser;

before(async () => ({ fleet, browser } = await startFleetAndBrowser({ timers: true, gateway: true, stream: true })));
after(() => stopFleetAndBrowser({ fleet, browser }));

/** Opens `path` on the phone, runs `check`, then asserts no overflow and no console problems. */
async function onPhone(path, check) {
  const { page, context, problems } = await openPage(browser, `${fleet.url}${path}`, PHONE_390);
  try {
    await check(page);
    assert.equal(await pageOverflows(page), false, `${path}: the page is wider than the screen`);
    assert.deepEqual(problems, [], `console problems on ${path}`);
  } finally {
    await context.close();
  }
}

test("a zone that matches nothing says so, with no empty list over the hint", async () => {
  await onPhone("?tz=UTC", async (page) => {
    const picker = page.getByTestId("zone-picker");
    await picker.click();
    await picker.fill("Nowhere/Bogus");
    const hint = page.getByTestId("zone-no-match");
    await hint.waitFor({ timeout: PATIENCE_MS });
    assert.match(await hint.textContent(), /No time zone matches “Nowhere\/Bogus”/);
    assert.equal(await page.getByRole("listbox", { name: "Time zones" }).isVisible(), false);
    await screenshot(page, "zone-no-match-phone");
  });
});

test("the zone is named canonically: UTC, not UTC · UTC", async () => {
  await onPhone("?tz=UTC", async (page) => {
    await page.waitForFunction(() => document.querySelector('[data-testid="zone"]')?.textContent === "UTC", null, {
      timeout: PATIENCE_MS,
    });
  });
});

test("no page here: a styled panel with a link home that routes on the page", async () => {
  await onPhone("no/such/page", async (page) => {
    const missing = page.getByTestId("missing-page");
    await missing.waitFor();
    const panel = await missing.locator(".panel").evaluate((element) => {
      const style = getComputedStyle(element);
      return { radius: style.borderTopLeftRadius, background: style.backgroundColor };
    });
    assert.notEqual(panel.radius, "0px", "the panel is unstyled");
    assert.notEqual(panel.background, "rgba(0, 0, 0, 0)", "the panel has no background");
    await screenshot(page, "missing-phone");
    await page.getByTestId("missing-home").click();
    await page.getByTestId("time").waitFor();
    assert.equal(new URL(page.url()).pathname, "/");
  });
});

test("a fired timer's alert does not cover a running timer's card", async () => {
  await onPhone("timers", async (page) => {
    const set = async (seconds, label) => {
      await page.getByLabel("Seconds").fill(seconds);
      await page.getByLabel(/^Label/).fill(label);
      await page.getByRole("button", { name: "Start timer" }).click();
      await page.getByTestId("pending-timer").filter({ hasText: label }).waitFor({ timeout: PATIENCE_MS });
    };
    await set("600", "long-tea");
    await set("2", "short-tea");
    const alert = page.getByTestId("timer-alert").filter({ hasText: "short-tea" });
    await alert.waitFor({ timeout: PATIENCE_MS });
    const card = page.getByTestId("pending-timer").filter({ hasText: "long-tea" });
    await card.scrollIntoViewIfNeeded();
    const overlap = await page.evaluate(() => {
      const a = document.querySelector('[data-testid="timer-alert"]').getBoundingClientRect();
      const cards = [...document.querySelectorAll('[data-testid="pending-timer"]')].map((c) => c.getBoundingClientRect());
      return cards.some((c) => a.left < c.right && c.left < a.right && a.top < c.bottom && c.top < a.bottom);
    });
    assert.equal(overlap, false, "the alert covers a running timer's card");
    await screenshot(page, "timer-alert-phone");
  });
});

test("the stream service's test page links back to the app", async () => {
  const { page, context, problems } = await openPage(browser, "about:blank", PHONE_390);
  try {
    await page.goto(fleet.urlOf("stream"), { referer: fleet.url });
    const link = page.locator("#app-link");
    assert.equal(await link.getAttribute("href"), fleet.url);
    assert.equal(await link.isVisible(), true);
    await page.goto(`${fleet.urlOf("stream")}?app=${encodeURIComponent(fleet.url)}`);
    assert.equal(await page.locator("#app-link").getAttribute("href"), fleet.url);
    assert.equal(await pageOverflows(page), false);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
