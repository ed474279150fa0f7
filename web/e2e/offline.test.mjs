// The app installs and opens offline, honestly: the page links a web
// manifest that parses and names its icons; after a reload the service
// worker controls the page; then, with the network cut, a reload still
// shows the app (the shell from the worker's cache), says it is offline,
// and shows no time at all, neither a stale one nor the device's own.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { DESKTOP, PATIENCE_MS } from "./browser.mjs";
import { waitForHeading } from "./pages.mjs";
import { startFleetAndBrowser, stopFleetAndBrowser } from "./suite.mjs";

/** The heading every page of the app shows (the masthead). */
const APP_HEADING = { name: "Clocker", level: 1 };

let fleet;
let browser;

before(async () => ({ fleet, browser } = await startFleetAndBrowser()));
after(() => stopFleetAndBrowser({ fleet, browser }));

test("the page links a web manifest that parses, with the icons it names", async () => {
  const context = await browser.newContext(DESKTOP);
  try {
    const page = await context.newPage();
    await page.goto(fleet.url);
    const href = await page.locator('link[rel="manifest"]').getAttribute("href");
    const response = await page.request.get(new URL(href, fleet.url).href);
    assert.equal(response.status(), 200);
    assert.match(response.headers()["content-type"], /^application\/manifest\+json/);
    const manifest = JSON.parse(await response.text());
    assert.equal(manifest.start_url, "/");
    assert.equal(manifest.display, "standalone");
    assert.ok(manifest.name && manifest.short_name, "named");
    const sizes = manifest.icons.map((icon) => icon.sizes);
    assert.ok(sizes.includes("192x192") && sizes.includes("512x512"), `icons: ${sizes}`);
    for (const icon of manifest.icons) {
      const got = await page.request.get(new URL(icon.src, fleet.url).href);
      assert.equal(got.status(), 200, icon.src);
      assert.equal(got.headers()["content-type"].split(";")[0], icon.type, icon.src);
    }
  } finally {
    await context.close();
  }
});

test("offline, the app opens from the service worker, says it is offline and shows no time", async () => {
  const context = await browser.newContext(DESKTOP);
  const problems = [];
  try {
    const page = await context.newPage();
    page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
    await page.goto(fleet.url);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await page.reload();
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller !== null), true, "not controlled");

    await context.setOffline(true);
    await page.reload();
    await waitForHeading(page, APP_HEADING);
    const status = page.getByTestId("status");
    await page.waitForFunction(() => /Offline/.test(document.querySelector('[data-testid="status"]')?.textContent ?? ""), null, {
      timeout: PATIENCE_MS,
    });
    assert.match(await status.textContent(), /Offline/);
    // A few frames in: the clock has had the chance to draw whatever it would draw.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    for (const field of ["time", "date"]) {
      const text = await page.getByTestId(field).textContent();
      assert.doesNotMatch(text, /\d/, `the ${field} shows digits offline: ${text}`);
    }
    assert.match(await page.getByTestId("date").textContent(), /^Offline/, "the date line says why there is no time");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
