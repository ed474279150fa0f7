// The Status page in headless Chromium against the real supervisor
// (`clocker up --ephemeral --only funnel`: the five clock services and the
// funnel, each its own process): the six services all ready, as the funnel's
// /status.json says; the hours service SIGKILLed, and the page showing it
// restarted (restarts 1, ready again, its last error the SIGKILL,
// highlighted meanwhile); polls every second while shown and none once
// another page is; fits phones and desktops, light and dark, without console
// errors; and, against a fleet of `clocker serve` processes, explains that
// there is no supervisor. The supervisor stops cleanly on SIGTERM.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { DESKTOP, launchBrowser, openPage, pageOverflows, PATIENCE_MS, PHONE, PHONE_390, screenshot } from "./browser.mjs";
import { Fleet } from "./fleet.mjs";
import { Supervisor, until } from "./supervisor.mjs";

/** In the supervisor's start order. */
const SERVICES = ["current-time", "hours", "minutes", "seconds", "milliseconds", "funnel"];

let supervisor;
let browser;

before(async () => {
  supervisor = await Supervisor.start(["--only", "funnel"]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await supervisor?.stop();
});

/** The funnel's `GET /status.json`. */
async function statusJson(base = supervisor.url) {
  const response = await fetch(new URL("status.json", base));
  assert.equal(response.status, 200, `status.json answered ${response.status}`);
  return response.json();
}

/** The table's rows as the page shows them (one task, so no poll falls between them). */
function readRows(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="service-row"]')].map((row) => {
      const cell = (column) => row.querySelector(`[data-column="${column}"]`)?.textContent?.trim() ?? "";
      return {
        name: cell("name"),
        state: cell("state"),
        pid: cell("pid"),
        addr: cell("addr"),
        restarts: cell("restarts"),
        uptime: cell("uptime"),
        probe: cell("probe"),
        overruns: cell("overruns"),
        lastError: cell("last-error"),
        stateAttr: row.dataset.state,
        restarted: row.dataset.restarted,
        tone: row.querySelector(".status-badge")?.dataset.tone,
      };
    }),
  );
}

/** Waits until the page's rows satisfy `wanted(rows)`, and returns them. */
async function waitForRows(page, wanted, what) {
  const deadline = Date.now() + PATIENCE_MS;
  let rows = [];
  while (Date.now() < deadline) {
    rows = await readRows(page);
    if (wanted(rows)) return rows;
    // The page polls once a second; a tenth of that between looks.
    await delay(100);
  }
  assert.fail(`the page never showed ${what}: ${JSON.stringify(rows, null, 1)}`);
}

const allReady = (rows) => rows.length === SERVICES.length && rows.every((row) => row.state === "ready");

function navLink(page, name) {
  return page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name });
}

/**
 * Opens `url`, runs `check(page, problems)`, and closes the page's context
 * whatever happens; console errors and warnings fail the test.
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

test("the funnel's /status.json lists the six supervised services, all ready", async () => {
  const status = await until(
    async () => {
      const json = await statusJson();
      return json.services.every((row) => row.state === "ready") && json;
    },
    "every service ready in /status.json",
    PATIENCE_MS,
  );
  assert.equal(status.supervised, true);
  assert.deepEqual(
    status.services.map((row) => row.name),
    SERVICES,
  );
  for (const row of status.services) {
    assert.equal(row.addr, supervisor.addrs.get(row.name), `${row.name}'s address`);
    assert.ok(Number.isInteger(row.pid) && row.pid > 0, `${row.name}'s pid ${row.pid}`);
    assert.equal(row.restarts, 0);
  }
});

test("the Status page shows the services live, and hours restarted after a SIGKILL", async () => {
  await withPage(`${supervisor.url}status`, DESKTOP, async (page) => {
    await page.getByRole("heading", { name: "Status", exact: true }).waitFor({ timeout: PATIENCE_MS });
    assert.equal(await page.title(), "Clocker — status");
    assert.equal(await navLink(page, "Status").getAttribute("aria-current"), "page");

    const rows = await waitForRows(page, allReady, "six ready services");
    const json = await statusJson();
    assert.deepEqual(
      rows.map((row) => row.name),
      SERVICES,
    );
    for (const row of rows) {
      const served = json.services.find((s) => s.name === row.name);
      assert.equal(row.pid, String(served.pid), `${row.name}'s pid`);
      assert.equal(row.addr, served.addr, `${row.name}'s address`);
      assert.equal(row.restarts, "0");
      assert.equal(row.tone, "ok");
      assert.match(row.uptime, /^\d+s$|^\d+m\d\ds$/, `${row.name}'s uptime`);
      assert.match(row.probe, /^\d+\.\d ms$|^—$/, `${row.name}'s probe p99`);
      assert.equal(row.lastError, "—");
      assert.equal(row.restarted, "false");
    }
    assert.equal(await page.getByTestId("status-summary").textContent(), "6 services, 6 ready");
    assert.equal(await page.getByTestId("status-poll").getAttribute("data-state"), "live");

    // Record whether the hours row is ever highlighted, however briefly.
    await page.evaluate(() => {
      window.__hoursHighlighted = false;
      const look = () => {
        if (document.querySelector('[data-service="hours"][data-restarted="true"]')) window.__hoursHighlighted = true;
      };
      new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true });
    });

    const hours = json.services.find((s) => s.name === "hours");
    process.kill(hours.pid, "SIGKILL");

    const after = await waitForRows(
      page,
      (rows) => {
        const row = rows.find((r) => r.name === "hours");
        return row?.restarts === "1" && row.state === "ready" && /SIGKILL/.test(row.lastError);
      },
      "hours restarted once, ready again, killed by SIGKILL",
    );
    const restarted = after.find((row) => row.name === "hours");
    assert.notEqual(restarted.pid, String(hours.pid), "hours has a new pid");
    assert.equal(restarted.tone, "ok");
    for (const row of after.filter((r) => r.name !== "hours")) {
      assert.equal(row.restarts, "0", `${row.name} restarted too`);
    }
    assert.equal(await page.evaluate(() => window.__hoursHighlighted), true, "the restarted row was highlighted");

    // The funnel agrees.
    const served = (await statusJson()).services.find((s) => s.name === "hours");
    assert.equal(served.restarts, 1);
    assert.match(served.last_error, /SIGKILL/);
    await screenshot(page, "status-restarted");

    // The highlight goes after a while; the count stays.
    await page.waitForSelector('[data-service="hours"][data-restarted="false"]', { timeout: PATIENCE_MS });
    await waitForRows(page, allReady, "six ready services again");
  });
});

test("the Status page polls every second while shown, and stops when another page is shown", async () => {
  await withPage(`${supervisor.url}status`, DESKTOP, async (page) => {
    const polls = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/status.json") polls.push(Date.now());
    });
    await waitForRows(page, allReady, "six ready services");
    await until(() => polls.length >= 4, "four polls", PATIENCE_MS);
    const gaps = polls.slice(1).map((at, i) => at - polls[i]);
    // Seen from the test's side of the browser, one poll can arrive late and
    // the next early (a loaded machine delays the events, not the timer):
    // about a second on average, and never a hot loop.
    const mean = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length;
    assert.ok(
      mean >= 900 && mean < 5_000 && gaps.every((gap) => gap >= 400),
      `about a second between polls: ${gaps.join(", ")} ms`,
    );

    await page.evaluate(() => (window.__sameDocument = true));
    await navLink(page, "Clock").click();
    await page.getByTestId("time").waitFor();
    const shown = polls.length;
    // An absence is seen only while time visibly passes: wait until the
    // clock on the page has shown four different seconds (over two polls' worth).
    const seconds = new Set();
    await until(
      async () => {
        seconds.add((await page.getByTestId("time").textContent()).slice(0, 8));
        return seconds.size >= 4;
      },
      "the clock showing four different seconds",
      PATIENCE_MS,
    );
    assert.ok(polls.length <= shown + 1, `${polls.length - shown} polls with the clock shown`);

    await navLink(page, "Status").click();
    await waitForRows(page, allReady, "six ready services");
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "the page reloaded");
  });
});

test("status page screenshots, desktop and phone, light and dark, without console errors", async () => {
  for (const [name, device] of [
    ["status-desktop", DESKTOP],
    ["status-phone", PHONE],
    ["status-desktop-dark", { ...DESKTOP, colorScheme: "dark" }],
    ["status-phone-dark", { ...PHONE, colorScheme: "dark" }],
  ]) {
    await withPage(`${supervisor.url}status`, device, async (page) => {
      await waitForRows(page, allReady, "six ready services");
      const path = await screenshot(page, name);
      const overflow = await pageOverflows(page);
      assert.equal(overflow, false, `${name}: the page is wider than the screen (${path})`);
    });
  }
});

test("at 390×844 the table scrolls sideways inside the page, with a visible hint", async () => {
  await withPage(`${supervisor.url}status`, PHONE_390, async (page) => {
    await waitForRows(page, allReady, "six ready services");
    const hint = page.getByTestId("status-scroll-hint");
    await hint.waitFor({ timeout: PATIENCE_MS });
    assert.equal(await hint.isVisible(), true);
    const scroll = page.getByTestId("status-table-scroll");
    assert.equal(await scroll.getAttribute("data-overflows"), "true");
    assert.equal(await scroll.getAttribute("aria-describedby"), "status-scroll-hint");
    const widths = await scroll.evaluate((element) => ({ inner: element.scrollWidth, shown: element.clientWidth }));
    assert.ok(widths.inner > widths.shown, `the table does not scroll: ${JSON.stringify(widths)}`);
    const path = await screenshot(page, "status-phone-390");
    // The columns past the edge can be reached: scrolled to the end, the last one is in view.
    await scroll.evaluate((element) => element.scrollTo({ left: element.scrollWidth }));
    const lastError = page.locator('[data-testid="service-row"] [data-column="last-error"]').first();
    const inView = await lastError.evaluate((cell) => cell.getBoundingClientRect().right <= window.innerWidth + 1);
    assert.equal(inView, true, "the last column cannot be scrolled into view");
    const overflow = await pageOverflows(page);
    assert.equal(overflow, false, `the page is wider than the screen (${path})`);
  });
});

test("without clocker up, the Status page says there is no supervisor", async () => {
  const fleet = await Fleet.start();
  try {
    assert.deepEqual(await statusJson(fleet.url), { supervised: false, services: [] });
    await withPage(`${fleet.url}status`, DESKTOP, async (page) => {
      const note = page.getByTestId("status-unsupervised");
      await note.waitFor({ timeout: PATIENCE_MS });
      assert.match(await note.textContent(), /clocker up/);
      assert.equal(await page.getByTestId("service-row").count(), 0);
      await screenshot(page, "status-unsupervised");
    });
  } finally {
    await fleet.stop();
  }
});

test("the supervisor stops every service and exits 0 on SIGTERM", async () => {
  const pids = (await statusJson()).services.map((row) => row.pid);
  const exit = await supervisor.stop();
  supervisor = null;
  assert.deepEqual(exit, { code: 0, signal: null });
  for (const pid of pids) {
    assert.throws(() => process.kill(pid, 0), { code: "ESRCH" }, `service pid ${pid} outlived its supervisor`);
  }
});
