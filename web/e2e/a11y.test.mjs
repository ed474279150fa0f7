// axe-core's WCAG 2.0–2.2 A and AA rules on every page, light and dark,
// against a real fleet with every service: each page in the state worth
// checking (timers running and fired with the alert shown, signed out and
// signed in), zero violations. The per-page summary (violations, passes) is
// written to test-artifacts/axe-results.json.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { ARTIFACTS, DESKTOP, launchBrowser } from "./browser.mjs";
import { Fleet } from "./fleet.mjs";
import { EVERY_SERVICE, PAGES, visit } from "./pages.mjs";

const SCHEMES = ["light", "dark"];
const WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
/** The page's CSP allows no inline script; axe-core is injected as one, so this context ignores the CSP. */
const DEVICE = { ...DESKTOP, bypassCSP: true };
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

let fleet;
let browser;
const summary = [];

before(async () => {
  fleet = await Fleet.start(EVERY_SERVICE);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await fleet?.stop();
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(`${ARTIFACTS}axe-results.json`, `${JSON.stringify(summary, null, 2)}\n`);
});

/** One line per violation: the rule, what it means, and the elements it found. */
function describe(violations) {
  return violations
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(" ")}: ${n.failureSummary}`).join("\n")}`)
    .join("\n");
}

for (const entry of PAGES) {
  for (const scheme of SCHEMES) {
    test(`${entry.name} (${scheme}) has no WCAG 2.2 AA violations`, async () => {
      const { page, context } = await visit(browser, fleet, entry, DEVICE, scheme);
      try {
        await page.addScriptTag({ path: AXE });
        const result = await page.evaluate(
          (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags } }),
          WCAG_AA,
        );
        summary.push({
          page: entry.name,
          path: entry.path,
          scheme,
          violations: result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
          passes: result.passes.length,
        });
        assert.equal(result.violations.length, 0, `${entry.name} (${scheme}):\n${describe(result.violations)}`);
      } finally {
        await context.close();
      }
    });
  }
}
