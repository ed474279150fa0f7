// P9: how well the page's clock agrees with the fleet's, in headless
// Chromium on loopback. Prints a markdown section for BENCHMARKS.md.
//
// Ground truth: current-time runs `--clock offset:+X`, so the fleet's time
// is exactly this machine's wall clock + X. In the page, the estimator's
// offset is relative to performance.timeOrigin + performance.now() (P); the
// wall clock W is read from Date.now() at its millisecond transitions, so
// d = P − W is known to ~0.1 ms, and the estimator's error is
// offset + d − X. The second flip's lateness is the true fleet time at the
// moment the page writes a new second into the DOM, minus that second's
// boundary.
//
// Usage: CLOCKER_BIN=target/release/clocker node e2e/p9-sync.bench.mjs [loads]
import { Fleet } from "./fleet.mjs";
import { launchBrowser, openPage, waitForState, waitForSync } from "./browser.mjs";

const TRUE_OFFSET_MS = 1_234;
const LOADS = Number(process.argv[2] ?? 10);
const FLIPS_PER_LOAD = 5;
const FRAME_MS = 1000 / 60;

/** In the page: median of P − W at Date.now()'s millisecond transitions. */
function perfMinusWall() {
  const estimates = [];
  for (let i = 0; i < 21; i += 1) {
    const start = Date.now();
    for (;;) {
      const wall = Date.now();
      const perf = performance.timeOrigin + performance.now();
      if (wall !== start) {
        estimates.push(perf - wall);
        break;
      }
    }
  }
  estimates.sort((a, b) => a - b);
  return estimates[10];
}

/** In the page: performance-timeline times at which the shown second changes. */
function secondFlips(count) {
  const node = document.querySelector('[data-testid="time"]');
  return new Promise((resolve) => {
    const flips = [];
    let second = node.textContent.slice(6, 8);
    const observer = new MutationObserver(() => {
      const now = performance.timeOrigin + performance.now();
      const shown = node.textContent.slice(6, 8);
      if (shown !== second) {
        second = shown;
        flips.push(now);
        if (flips.length === count) {
          observer.disconnect();
          resolve(flips);
        }
      }
    });
    observer.observe(node, { childList: true, characterData: true, subtree: true });
  });
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const ms = (value) => `${value.toFixed(2)} ms`;

async function main() {
  const progress = (text) => process.stderr.write(`p9: ${text}\n`);
  progress(`fleet with current-time ${TRUE_OFFSET_MS} ms ahead; ${LOADS} page loads`);
  const fleet = await Fleet.start({ clock: `offset:${TRUE_OFFSET_MS}ms` });
  const browser = await launchBrowser();
  const errors = [];
  const lateness = [];
  const accuracy = [];
  try {
    for (let load = 0; load < LOADS; load += 1) {
      const { page, context } = await openPage(browser, `${fleet.url}?tz=UTC`);
      await waitForState(page, "live");
      await waitForSync(page);
      const d = await page.evaluate(perfMinusWall);
      const sync = await page.evaluate(() => window.__clocker.sync());
      errors.push(sync.offsetMs + d - TRUE_OFFSET_MS);
      accuracy.push(sync.accuracyMs);
      for (const flip of await page.evaluate(secondFlips, FLIPS_PER_LOAD)) {
        const trueTime = flip - d + TRUE_OFFSET_MS;
        lateness.push(trueTime - Math.round(trueTime / 1000) * 1000);
      }
      progress(`load ${load + 1}/${LOADS}: error ${ms(errors.at(-1))}, ± ${ms(sync.accuracyMs)}`);
      await context.close();
    }
  } finally {
    await browser.close();
    await fleet.stop();
  }
  const absErrors = errors.map(Math.abs).sort((a, b) => a - b);
  const late = [...lateness].sort((a, b) => a - b);
  const met = (ok) => (ok ? "✅ met" : "❌ missed");
  const lines = [
    "### P9 — clock sync in the browser: offset error and second-flip lateness",
    "",
    "|  | p50 | p95 | max | target | met |",
    "|---|---:|---:|---:|---:|---:|",
    `| offset error \\|estimated − true\\| | ${ms(quantile(absErrors, 0.5))} | ${ms(quantile(absErrors, 0.95))} | ${ms(absErrors.at(-1))} | ≤ 1 ms | ${met(absErrors.at(-1) <= 1)} |`,
    `| shown accuracy (± half the best round trip) | ${ms(quantile([...accuracy].sort((a, b) => a - b), 0.5))} |  | ${ms(Math.max(...accuracy))} |  |  |`,
    `| second flip lateness (DOM write − true boundary) | ${ms(quantile(late, 0.5))} | ${ms(quantile(late, 0.95))} | ${ms(late.at(-1))} | ≤ one frame (${ms(FRAME_MS)}) | ${met(quantile(late, 0.95) <= FRAME_MS)} |`,
    "",
    `${LOADS} page loads of \`/?tz=UTC\` in headless Chromium (Debian's, via playwright-core), each after its first sync burst of 8 pings; ` +
      `current-time runs \`--clock offset:${TRUE_OFFSET_MS}ms\`, the ground truth. Offset error: the page's estimate against the truth, ` +
      `with the page's performance timeline tied to its wall clock at Date.now()'s millisecond transitions. ` +
      `Lateness: ${FLIPS_PER_LOAD} second flips per load, the true fleet time when the page wrote the new second (MutationObserver) minus the boundary; ` +
      `earliest ${ms(late[0])} (negative = early). The page redraws every animation frame (60 Hz), so up to one frame of lateness is inherent.`,
    "",
  ];
  process.stdout.write(lines.join("\n"));
}

main().catch((error) => {
  process.stderr.write(`p9: failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
