// Screenshots of every page at 1280×800 and 390×844, light and dark, into
// test-artifacts/pages/<page>-<desktop|phone>-<light|dark>.png, against a
// real fleet with every service; each with its heading visible, nothing
// wider than the screen and no console errors or warnings.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { after, before, test } from "node:test";
import { ARTIFACTS, DESKTOP, launchBrowser, pageOverflows, PHONE_390 } from "./browser.mjs";
import { Fleet } from "./fleet.mjs";
import { EVERY_SERVICE, PAGES, visit, waitForHeading } from "./pages.mjs";

const DEVICES = { desktop: DESKTOP, phone: PHONE_390 };
const SCHEMES = ["light", "dark"];
const PAGES_DIR = `${ARTIFACTS}pages/`;

let fleet;
let browser;

before(async () => {
  fleet = await Fleet.start(EVERY_SERVICE);
  browser = await launchBrowser();
  await mkdir(PAGES_DIR, { recursive: true });
});

after(async () => {
  await browser?.close();
  await fleet?.stop();
});

for (const entry of PAGES) {
  for (const [deviceName, device] of Object.entries(DEVICES)) {
    for (const scheme of SCHEMES) {
      const shot = `${entry.name}-${deviceName}-${scheme}`;
      test(`${shot}: heading visible, no overflow, no console errors`, async () => {
        const { page, context, problems } = await visit(browser, fleet, entry, device, scheme);
        try {
          const heading = await waitForHeading(page, entry.heading);
          await heading.scrollIntoViewIfNeeded();
          assert.equal(await heading.isVisible(), true, `${shot}: the heading is not visible`);
          await page.evaluate(() => window.scrollTo(0, 0));
          await page.screenshot({ path: `${PAGES_DIR}${shot}.png`, fullPage: true });
          const overflows = await pageOverflows(page);
          assert.equal(overflows, false, `${shot}: the page is wider than the screen`);
          assert.deepEqual(problems, [], `${shot}: console problems`);
        } finally {
          await context.close();
        }
      });
    }
  }
}
