// Accounts for the browser tests that need one: created on the REST
// gateway, signed in through the Account page's own form, as a person would.
import assert from "node:assert/strict";
import { PATIENCE_MS } from "./browser.mjs";

/** The password every test account has (the rules want 8 bytes or more). */
export const PASSWORD = "correct horse battery";

/** A username no other test of this run has. */
export function freshUsername(prefix) {
  return `${prefix}-${process.pid}-${Date.now() % 100_000}`;
}

/** Creates the account `username` through the fleet's REST gateway. */
export async function registerAccount(fleet, username) {
  const response = await fetch(new URL("api/accounts", fleet.urlOf("gateway")), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  assert.ok(response.status === 200 || response.status === 201, `registering ${username}: ${response.status}`);
}

/** Signs `page` in as `username` through the Account page's form, and waits until it says so. */
export async function signIn(page, fleet, username) {
  await page.goto(`${fleet.url}account`);
  const form = page.getByTestId("sign-in-form");
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Password").fill(PASSWORD);
  await form.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("account-signed-in").waitFor({ timeout: PATIENCE_MS });
}
