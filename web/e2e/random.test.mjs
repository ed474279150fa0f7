// The random numbers in headless Chromium against a real fleet with the
// random service, the REST gateway and the SSE stream service: the stream
// service's own test page (GET /) and the UI's Random page (served by the
// funnel, which tells it where the stream is in /config.json) both connect
// to /stream, draw the values, count them, show the latest, stop counting on
// Disconnect and start again on Connect.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { DESKTOP, openPage, pageOverflows, PATIENCE_MS, PHONE, screenshot } from "./browser.mjs";
import { startFleetAndBrowser, stopFleetAndBrowser } from "./suite.mjs";

let fleet;
let browser;

before(async () => ({ fleet, browser } = await startFleetAndBrowser({ random: true, gateway: true, stream: true })));
after(() => stopFleetAndBrowser({ fleet, browser }));

/** The stream service's `GET /metrics`: `{clients, messages_sent, uptime}`. */
async function streamMetrics() {
  const response = await fetch(new URL("metrics", fleet.urlOf("stream")));
  assert.equal(response.status, 200);
  return response.json();
}

/** Polls the stream service until `wanted(metrics)` holds, or fails after PATIENCE_MS. */
async function waitForMetrics(wanted, what) {
  const deadline = Date.now() + PATIENCE_MS;
  let last;
  while (Date.now() < deadline) {
    last = await streamMetrics();
    if (wanted(last)) return last;
    await delay(50);
  }
  assert.fail(`the stream service never reported ${what}: ${JSON.stringify(last)}`);
}

/** Waits until the number in `selector` is at least `count`. */
async function waitForCount(page, selector, count) {
  await page.waitForFunction(
    ([sel, wanted]) => Number(document.querySelector(sel)?.textContent) >= wanted,
    [selector, count],
    { timeout: PATIENCE_MS },
  );
}

/**
 * What the chart canvas shows: `points` (its data-points) and `ink`, the
 * pixels in the page's accent colour (the line; the grid and labels are in
 * other colours, so an empty chart has none).
 */
function readChart(page, selector) {
  return page.evaluate((sel) => {
    const canvas = document.querySelector(sel);
    const hex = getComputedStyle(canvas).getPropertyValue("--accent").trim();
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    // Read a copy, so the page's own canvas is never read back (Chromium warns when one is, often).
    const copy = document.createElement("canvas");
    copy.width = canvas.width;
    copy.height = canvas.height;
    const context = copy.getContext("2d", { willReadFrequently: true });
    context.drawImage(canvas, 0, 0);
    const { data } = context.getImageData(0, 0, copy.width, copy.height);
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) {
      const near = Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 40;
      if (near && data[i + 3] > 200) ink += 1;
    }
    return { points: Number(canvas.dataset.points), ink, width: canvas.width, height: canvas.height };
  }, selector);
}

/** Waits until the chart has drawn at least `points` points. */
async function waitForChart(page, selector, points) {
  await page.waitForFunction(
    ([sel, wanted]) => Number(document.querySelector(sel)?.dataset.points) >= wanted,
    [selector, points],
    { timeout: PATIENCE_MS },
  );
  const chart = await readChart(page, selector);
  assert.ok(chart.ink > 50, `the chart drew ${chart.points} points but only ${chart.ink} pixels of line`);
  return chart;
}

/**
 * Reads the counts, the latest value and the log in one go (one task, so no
 * event falls between them). `entries` are the log's texts, newest first.
 */
function readStats(page, ids) {
  return page.evaluate((sel) => {
    const text = (s) => document.querySelector(s)?.textContent ?? "";
    return {
      total: Number(text(sel.total)),
      complete: Number(text(sel.complete)),
      incomplete: Number(text(sel.incomplete)),
      latest: text(sel.latest),
      entries: [...document.querySelectorAll(sel.entries)].map((entry) => ({
        time: entry.querySelector("time")?.textContent ?? "",
        text: entry.querySelector("span:last-child")?.textContent ?? "",
        kind: entry.dataset.kind,
      })),
    };
  }, ids);
}

/** What both pages show once live: whole events only, the latest value the newest logged, in order. */
function checkStats(stats, name) {
  assert.ok(stats.total >= 10, `${name}: ${stats.total} events`);
  assert.equal(stats.complete, stats.total, `${name}: every event of the real stream is complete`);
  assert.equal(stats.incomplete, 0);
  const latest = Number(stats.latest);
  assert.ok(Number.isInteger(latest) && latest >= 0 && latest <= 100, `${name}: latest '${stats.latest}'`);

  const data = stats.entries.filter((entry) => entry.kind === "data");
  assert.ok(data.length >= 10 && stats.entries.length <= 200, `${name}: ${stats.entries.length} log entries`);
  for (const entry of stats.entries) assert.match(entry.time, /^\d\d:\d\d:\d\d\.\d\d\d$/, `${name}: log time`);
  const parsed = data.map((entry) => {
    const match = /^#(\d+) · (-?\d+)$/.exec(entry.text);
    assert.ok(match, `${name}: log entry '${entry.text}'`);
    return { sequence: Number(match[1]), value: Number(match[2]) };
  });
  assert.equal(parsed[0].value, latest, `${name}: the latest value is the newest logged`);
  assert.ok(
    parsed.every((entry, i) => i === 0 || entry.sequence < parsed[i - 1].sequence),
    `${name}: the log is newest first: ${parsed.slice(0, 12).map((e) => e.sequence)}`,
  );
}

/**
 * Disconnects with `disconnect()`, waits until the stream service has no
 * client left, and checks the counts stand still while it would have sent
 * ten more events.
 */
async function checkDisconnectStops(page, totalSelector, disconnect) {
  await disconnect();
  await waitForMetrics((m) => m.clients === 0, "0 clients after Disconnect");
  const before = Number(await page.textContent(totalSelector));
  // An absence is seen only while the stream goes on: wait until ten more
  // events have been published (as another client sees them), then look.
  await eventsPublished(10);
  assert.equal(Number(await page.textContent(totalSelector)), before, "events counted after Disconnect");
  return before;
}

/** Resolves once a client of its own has read `count` events from the stream. */
async function eventsPublished(count) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), PATIENCE_MS);
  try {
    const response = await fetch(new URL("stream", fleet.urlOf("stream")), { signal: abort.signal });
    let seen = 0;
    const decoder = new TextDecoder();
    for await (const chunk of response.body) {
      seen += decoder.decode(chunk, { stream: true }).split("event: data").length - 1;
      if (seen >= count) return;
    }
    assert.fail(`the stream ended after ${seen} events`);
  } catch (error) {
    if (abort.signal.aborted) assert.fail(`fewer than ${count} events within ${PATIENCE_MS} ms`);
    throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

/**
 * Opens `url`, runs `check(page)`, and closes the page's context whatever
 * happens (a stream left open would count as a client in the next test).
 * Console errors and warnings fail the test.
 */
async function withPage(url, device, check) {
  const { page, context, problems } = await openPage(browser, url, device);
  try {
    await check(page);
    assert.deepEqual(problems, [], `console problems on ${url}`);
  } finally {
    await context.close();
  }
}

const STANDALONE = {
  total: "#total",
  complete: "#complete",
  incomplete: "#incomplete",
  latest: "#latest",
  entries: "#log li",
};

test("the stream service's test page at GET / connects, draws, counts, and stops on Disconnect", async () => {
  const streamUrl = fleet.urlOf("stream");
  await withPage(streamUrl, DESKTOP, async (page) => {
    assert.equal(await page.title(), "Clocker — SSE test client");
    assert.equal(await page.inputValue("#url"), `${streamUrl}stream`);
    assert.equal(await page.getAttribute("#status", "data-state"), "disconnected");
    assert.equal(await page.textContent("#total"), "0");
    assert.equal(await page.textContent("#latest"), "—");
    assert.equal((await readChart(page, "#chart")).ink, 0, "an empty chart has no line");
    assert.ok(await page.getByLabel("Stream URL").isVisible());

    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await page.waitForSelector('#status[data-state="live"]', { timeout: PATIENCE_MS });
    assert.equal(await page.isDisabled("#connect"), true);
    await waitForCount(page, "#total", 15);
    await waitForChart(page, "#chart", 15);
    const metrics = await waitForMetrics((m) => m.clients >= 1, "a client");
    assert.ok(metrics.messages_sent >= 15, JSON.stringify(metrics));
    checkStats(await readStats(page, STANDALONE), "test page");
    await screenshot(page, "stream-test-page");

    const stopped = await checkDisconnectStops(page, "#total", () => page.click("#disconnect"));
    assert.equal(await page.getAttribute("#status", "data-state"), "disconnected");
    assert.match(await page.textContent("#log li:first-child"), /Disconnected/);

    // Connect again: the counts go on from where they were.
    await page.click("#connect");
    await waitForCount(page, "#total", stopped + 5);
    // Clear starts afresh.
    await page.click("#clear");
    await page.waitForFunction(() => Number(document.querySelector("#total").textContent) < 5, null, {
      timeout: PATIENCE_MS,
    });
    await waitForCount(page, "#total", 5);
    await page.click("#disconnect");
    await waitForMetrics((m) => m.clients === 0, "0 clients");
  });
});

test("the stream service's test page in the dark, and on a phone", async () => {
  for (const [name, device] of [
    ["stream-test-page-dark", { ...DESKTOP, colorScheme: "dark" }],
    ["stream-test-page-phone", PHONE],
  ]) {
    await withPage(fleet.urlOf("stream"), device, async (page) => {
      await page.click("#connect");
      await waitForChart(page, "#chart", 20);
      const path = await screenshot(page, name);
      const overflow = await pageOverflows(page);
      assert.equal(overflow, false, `${name}: the page is wider than the screen (${path})`);
    });
  }
  await waitForMetrics((m) => m.clients === 0, "0 clients once the pages are closed");
});

const RANDOM_PAGE = {
  total: '[data-testid="random-total"]',
  complete: '[data-testid="random-complete"]',
  incomplete: '[data-testid="random-incomplete"]',
  latest: '[data-testid="random-latest"]',
  entries: '[data-testid="random-log-entry"]',
};
const CHART = '[data-testid="random-chart"]';

/** Waits until the Random page's stream is `state` (disconnected, connecting, live, reconnecting). */
async function waitForConnection(page, state) {
  await page.waitForFunction(
    (wanted) => document.querySelector('[data-testid="random-status"]')?.dataset.connection === wanted,
    state,
    { timeout: PATIENCE_MS },
  );
}

function navLink(page, name) {
  return page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name });
}

test("the funnel's /config.json names the gateway and the stream service on the page's host", async () => {
  const response = await fetch(new URL("config.json", fleet.url));
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /json/);
  const config = await response.json();
  assert.equal(config.gateway, fleet.urlOf("gateway").replace(/\/$/, ""));
  assert.equal(config.stream, fleet.urlOf("stream").replace(/\/$/, ""));
});

test("the Random page streams from the stream service: chart, counts, latest value, Disconnect and Connect", async () => {
  await withPage(`${fleet.url}random`, DESKTOP, async (page) => {
    await page.getByRole("heading", { name: "Random numbers" }).waitFor();
    assert.equal(await page.title(), "Clocker — random numbers");
    assert.equal(await navLink(page, "Random").getAttribute("aria-current"), "page");
    // The stream's address came from /config.json: the stream service, not the funnel.
    assert.equal(await page.locator(".random__url").textContent(), `${fleet.urlOf("stream")}stream`);

    await waitForConnection(page, "live");
    await waitForCount(page, RANDOM_PAGE.total, 15);
    await waitForChart(page, CHART, 15);
    await waitForMetrics((m) => m.clients >= 1, "the page as a client");
    checkStats(await readStats(page, RANDOM_PAGE), "Random page");
    const label = await page.getByRole("img", { name: /Chart of the last \d+ values/ }).getAttribute("aria-label");
    assert.match(label, /latest -?\d+/);

    const stopped = await checkDisconnectStops(page, RANDOM_PAGE.total, () =>
      page.getByRole("button", { name: "Disconnect" }).click(),
    );
    await waitForConnection(page, "disconnected");
    assert.equal(await page.getByRole("button", { name: "Disconnect" }).isDisabled(), true);

    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await waitForConnection(page, "live");
    await waitForCount(page, RANDOM_PAGE.total, stopped + 5);
  });
  await waitForMetrics((m) => m.clients === 0, "0 clients once the page is closed");
});

test("the Random page's stream closes when another page is shown and opens again on return", async () => {
  await withPage(`${fleet.url}random`, DESKTOP, async (page) => {
    await waitForConnection(page, "live");
    await waitForMetrics((m) => m.clients >= 1, "the page as a client");
    await page.evaluate(() => (window.__sameDocument = true));

    await navLink(page, "Clock").click();
    await page.getByTestId("time").waitFor();
    await waitForMetrics((m) => m.clients === 0, "0 clients with the clock shown");

    await navLink(page, "Random").click();
    await waitForConnection(page, "live");
    await waitForCount(page, RANDOM_PAGE.total, 5);
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "the page reloaded");
  });
  await waitForMetrics((m) => m.clients === 0, "0 clients once the page is closed");
});

test("random page screenshots, desktop and phone, light and dark, without console errors", async () => {
  for (const [name, device] of [
    ["random-desktop", DESKTOP],
    ["random-phone", PHONE],
    ["random-desktop-dark", { ...DESKTOP, colorScheme: "dark" }],
    ["random-phone-dark", { ...PHONE, colorScheme: "dark" }],
  ]) {
    await withPage(`${fleet.url}random`, device, async (page) => {
      await waitForCount(page, RANDOM_PAGE.total, 30);
      await waitForChart(page, CHART, 30);
      const path = await screenshot(page, name);
      const overflow = await pageOverflows(page);
      assert.equal(overflow, false, `${name}: the page is wider than the screen (${path})`);
    });
  }
});
