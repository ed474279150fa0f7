// Accounts in headless Chromium against a real fleet (accounts and timers each
// with their own store, the REST gateway and the SSE stream service): the
// Account page shows the rules and refuses bad input in place, registers,
// signs in and out (focus on the result or the error); a signed-in browser's
// timer is the account's — the real `clocker timer list` sees it with the
// browser's token in its session.json — and once signed out neither that
// browser nor another sees it; screenshots at 390×844 and 1280×800.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { DESKTOP, openPage, pageOverflows, PATIENCE_MS, PHONE_390, screenshot } from "./browser.mjs";
import { startFleetAndBrowser, stopFleetAndBrowser } from "./suite.mjs";

const run = promisify(execFile);
const PASSWORD = "correct horse battery";

let fleet;
let browser;
let names = 0;

before(async () => ({ fleet, browser } = await startFleetAndBrowser({ accounts: true, timers: true, gateway: true, stream: true })));
after(() => stopFleetAndBrowser({ fleet, browser }));

/** A username no other test (or earlier run) has taken. */
const newName = () => `e2e-${process.pid}-${Date.now() % 100_000}-${(names += 1)}`;

/** Console problems, less the failed requests a test provoked (Chromium logs those as errors). */
const unexpected = (problems, ...statuses) =>
  problems.filter((problem) => !statuses.some((status) => problem.includes(`status of ${status}`)));

async function fillCredentials(page, form, username, password, button) {
  const scope = page.getByTestId(form);
  await scope.getByLabel("Username").fill(username);
  await scope.getByLabel("Password").fill(password);
  await scope.getByRole("button", { name: button }).click();
}

const register = (page, username, password = PASSWORD) =>
  fillCredentials(page, "register-form", username, password, "Create account");
const signIn = (page, username, password = PASSWORD) =>
  fillCredentials(page, "sign-in-form", username, password, "Sign in");

/** Waits until the page says it is signed in as `username`. */
async function waitSignedIn(page, username) {
  await page.getByTestId("account-signed-in").waitFor({ timeout: PATIENCE_MS });
  assert.equal(await page.getByTestId("account-name").textContent(), username);
  await page.getByTestId("account-control").filter({ hasText: username }).waitFor();
}

/** The session the page keeps in sessionStorage. */
const storedSession = (page) => page.evaluate(() => JSON.parse(sessionStorage.getItem("clocker.session") ?? "null"));


/** The real CLI's `clocker timer list` (with --json when it has it) as the session holding `token`. */
async function cliTimerList(username, token) {
  const dir = await mkdtemp(join(tmpdir(), "clocker-e2e-cli-"));
  try {
    const session = { username, token, expires_at: "", server: fleet.addrs.get("accounts") };
    await writeFile(join(dir, "session.json"), `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
    const bin = process.env.CLOCKER_BIN;
    const help = await run(bin, ["timer", "list", "--help"]);
    const json = help.stdout.includes("--json");
    // The timer service reports `zeromq tcp://…`.
    const zmq = fleet.also.get("timers").split(" ").pop();
    const args = ["timer", "list", "--zmq", zmq, ...(json ? ["--json"] : [])];
    const env = { ...process.env, CLOCKER_CONFIG_DIR: dir, CLOCKER_ACCOUNTS_ADDR: fleet.addrs.get("accounts") };
    const { stdout } = await run(bin, args, { env, timeout: PATIENCE_MS });
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("the Account page shows the rules, refuses bad input in place, registers and signs in (390×844)", async () => {
  const { page, context, problems } = await openPage(browser, `${fleet.url}account`, PHONE_390);
  await page.getByRole("heading", { name: "Account", level: 2 }).waitFor();
  assert.equal(await page.title(), "Clocker — account");
  assert.equal((await page.getByTestId("account-control").textContent()).trim(), "Sign in");

  // The rules, before anything is sent; autocomplete for password managers.
  const registerForm = page.getByTestId("register-form");
  assert.match(await registerForm.textContent(), /3 to 32 characters/);
  assert.match(await registerForm.textContent(), /8 to 1024 bytes/);
  const autocomplete = (form, label) => page.getByTestId(form).getByLabel(label).getAttribute("autocomplete");
  assert.equal(await autocomplete("sign-in-form", "Username"), "username");
  assert.equal(await autocomplete("sign-in-form", "Password"), "current-password");
  assert.equal(await autocomplete("register-form", "Username"), "username");
  assert.equal(await autocomplete("register-form", "Password"), "new-password");

  const path = await screenshot(page, "account-phone");
  assert.equal(await pageOverflows(page), false, `the page is wider than the screen (${path})`);

  // Bad input is refused in place, focus on the first field at fault.
  await register(page, "ab", "short");
  assert.match(await registerForm.textContent(), /this one has 2/);
  assert.match(await registerForm.textContent(), /at least 8 bytes/);
  await page.waitForFunction(() => document.activeElement?.getAttribute("autocomplete") === "username");
  assert.equal(await registerForm.getByLabel("Username").getAttribute("aria-invalid"), "true");

  const username = newName();
  await register(page, username);
  await waitSignedIn(page, username);
  await page.waitForFunction(() => document.activeElement?.id === "signed-in-title", null, { timeout: PATIENCE_MS });
  const session = await storedSession(page);
  assert.equal(session.username, username);
  assert.match(session.token, /^[A-Za-z0-9_-]+$/);
  assert.ok(!page.url().includes(session.token), "the token is in the address");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a wrong password is refused in plain words, read out and focused", async () => {
  const username = newName();
  const { page, context, problems } = await openPage(browser, `${fleet.url}account`, DESKTOP);
  await register(page, username);
  await waitSignedIn(page, username);
  await page.getByTestId("sign-out").click();
  await page.getByTestId("sign-in-form").waitFor();

  await signIn(page, username, "not the password");
  const error = page.getByTestId("sign-in-form").getByTestId("account-error");
  await error.filter({ hasText: "Wrong username or password." }).waitFor({ timeout: PATIENCE_MS });
  assert.equal(await error.getAttribute("role"), "alert");
  await page.waitForFunction(() => document.activeElement?.getAttribute("data-testid") === "account-error", null, {
    timeout: PATIENCE_MS,
  });

  await signIn(page, username);
  await waitSignedIn(page, username);
  assert.deepEqual(unexpected(problems, 401), []);
  await context.close();
});

test("a signed-in browser's timer is the account's: the CLI lists it; signed out, no browser sees it", async () => {
  const username = newName();
  const label = `cli-tea-${names}`;
  const { page, context, problems } = await openPage(browser, `${fleet.url}account`, DESKTOP);
  await register(page, username);
  await waitSignedIn(page, username);

  await page.getByRole("link", { name: "Your timers" }).click();
  await page.getByRole("heading", { name: "Timers", level: 2 }).waitFor();
  assert.equal(await page.getByTestId("timers-whose").getAttribute("data-signed-in"), "true");
  await page.getByLabel("Minutes").fill("10");
  await page.getByLabel(/^Label/).fill(label);
  await page.getByRole("button", { name: "Start timer" }).click();
  const row = page.getByTestId("pending-timer").filter({ hasText: label });
  await row.waitFor({ timeout: PATIENCE_MS });
  assert.match(await row.textContent(), /fires at \d\d:\d\d:\d\d(?!\s?[AP]M)/);
  assert.equal(await row.getByRole("button", { name: `Cancel ${label}` }).count(), 1);
  // The account's stream, opened with the stream service's cookie (no token in any URL).
  await page.waitForFunction(
    () => document.querySelector('[data-testid="timers-status"]')?.dataset.stream === "live",
    null,
    { timeout: PATIENCE_MS },
  );
  const timerId = await row.getAttribute("data-timer-id");

  // The real CLI, with the browser's token in its session.json, lists it.
  const { token } = await storedSession(page);
  const listed = await cliTimerList(username, token);
  assert.ok(listed.includes(label), `clocker timer list does not show ${label}:\n${listed}`);

  // Signed out (the header's control): the account's timer leaves the page at once.
  await page.getByTestId("account-control").getByRole("button", { name: "Sign out" }).click();
  await page.getByTestId("account-control").filter({ hasText: "Sign in" }).waitFor();
  await row.waitFor({ state: "detached", timeout: PATIENCE_MS });
  assert.equal(await page.getByTestId("timers-whose").getAttribute("data-signed-in"), "false");
  assert.equal(await storedSession(page), null);
  // The token is dead: the CLI no longer lists the timer with it (it is refused, or lists nothing).
  const afterLogout = await cliTimerList(username, token).catch((error) => `${error.stdout ?? ""}`);
  assert.ok(!afterLogout.includes(label), `clocker timer list still shows ${label} with an ended session`);

  // Another browser, setting an anonymous timer of its own, sees only that one, with its Cancel button.
  const other = await openPage(browser, `${fleet.url}timers`, DESKTOP);
  await other.page.getByLabel("Seconds").fill("600");
  await other.page.getByLabel(/^Label/).fill("anon-tea");
  await other.page.getByRole("button", { name: "Start timer" }).click();
  const anon = other.page.getByTestId("pending-timer").filter({ hasText: "anon-tea" });
  await anon.waitFor({ timeout: PATIENCE_MS });
  await other.page.waitForFunction(
    () => document.querySelector('[data-testid="timers-status"]')?.dataset.stream === "live",
    null,
    { timeout: PATIENCE_MS },
  );
  assert.equal(await other.page.getByTestId("pending-timer").filter({ hasText: label }).count(), 0);
  assert.equal(await anon.getByRole("button", { name: "Cancel anon-tea" }).count(), 1);
  // Nor can it read the account's timer by id.
  const stranger = await fetch(new URL(`api/timers/${timerId}`, fleet.urlOf("gateway")));
  assert.ok([401, 403, 404].includes(stranger.status), `a stranger read the timer: ${stranger.status}`);
  assert.deepEqual(other.problems, []);
  await other.context.close();

  // Signed in again, the first browser has it back; the other browser's anonymous timer it never sees.
  await page.getByTestId("account-control").click();
  await signIn(page, username);
  await waitSignedIn(page, username);
  await page.getByRole("link", { name: "Your timers" }).click();
  await row.waitFor({ timeout: PATIENCE_MS });
  assert.equal(await page.getByTestId("pending-timer").filter({ hasText: "anon-tea" }).count(), 0);
  assert.deepEqual(unexpected(problems, 401), []);
  await context.close();
});

test("account page screenshots at 1280×800, light and dark, without console errors", async () => {
  for (const [name, device] of [
    ["account-desktop", DESKTOP],
    ["account-desktop-dark", { ...DESKTOP, colorScheme: "dark" }],
  ]) {
    const { page, context, problems } = await openPage(browser, `${fleet.url}account`, device);
    await page.getByTestId("register-form").waitFor();
    const path = await screenshot(page, name);
    assert.equal(await pageOverflows(page), false, `${name}: the page is wider than the screen (${path})`);
    assert.deepEqual(problems, [], `${name}: console problems`);
    await context.close();
  }
});

// Last: the failures it piles up from this address would slow the other tests' sign-ins.
test("repeated wrong passwords are throttled, and the page says how long to wait", async () => {
  const username = newName();
  const { page, context, problems } = await openPage(browser, `${fleet.url}account`, DESKTOP);
  await register(page, username);
  await waitSignedIn(page, username);
  await page.getByTestId("sign-out").click();
  const error = page.getByTestId("sign-in-form").getByTestId("account-error");
  // A few failures are free; then each one delays the next (1 s, doubling): guess until refused.
  let status = 0;
  for (let attempt = 0; attempt < 20 && status !== 429; attempt += 1) {
    const [response] = await Promise.all([
      page.waitForResponse((answer) => answer.url().endsWith("/api/sessions"), { timeout: PATIENCE_MS }),
      signIn(page, username, "not the password"),
    ]);
    status = response.status();
    // The form is ready again once its button no longer says "Signing in…".
    await page.getByTestId("sign-in-form").getByRole("button", { name: "Sign in", exact: true }).waitFor();
    if (status === 429) assert.match(response.headers()["retry-after"] ?? "", /^\d+$/);
  }
  assert.equal(status, 429, "never throttled");
  await error.filter({ hasText: /^Too many attempts; try again in \d+ (s|min)/ }).waitFor({ timeout: PATIENCE_MS });
  await page.waitForFunction(() => document.activeElement?.getAttribute("data-testid") === "account-error");
  assert.deepEqual(unexpected(problems, 401, 429), []);
  await context.close();
});
