// The accounts flow end to end: register, log in, WhoAmI, log out, and check
// that WhoAmI refuses the ended session. One JSON object per step on stdout;
// on failure a message on stderr and exit status 1.
//
//   CLOCKER_ACCOUNTS_ADDR=127.0.0.1:50006 node demo.js [username]
//
// The username defaults to a random `node_<hex>`; the password comes from
// $CLOCKER_PASSWORD or is generated. Neither the password nor the session
// token is ever printed (only the token's length).
import { randomBytes } from "node:crypto";
import {
  accountsAddr,
  codeName,
  createAccountsClient,
  retryAfterSeconds,
  status,
  timestampToIso,
} from "./accounts.js";

const addr = accountsAddr();
const username = process.argv[2] || `node_${randomBytes(4).toString("hex")}`;
const password = process.env.CLOCKER_PASSWORD || randomBytes(18).toString("base64url");

const print = (line) => console.log(JSON.stringify(line));

/** Why `step` failed, in one line a person can act on. */
function explain(step, error) {
  if (error.code === undefined) return `${step} failed: ${error.message}`;
  const code = codeName(error.code);
  // grpc-js ends some connection errors with an empty "Resolution note: ".
  const details = String(error.details).replace(/[.\s]*Resolution note:\s*$/, "");
  if (error.code === status.UNAVAILABLE || error.code === status.DEADLINE_EXCEEDED) {
    return (
      `${step} failed: is the accounts service running at ${addr}? ` +
      `(${code}: ${details}; set CLOCKER_ACCOUNTS_ADDR=host:port to use another address)`
    );
  }
  let text = `${step} failed: ${code}: ${details}`;
  if (error.code === status.ALREADY_EXISTS) {
    text += `; the username ${JSON.stringify(username)} is taken, pass another one`;
  } else if (error.code === status.RESOURCE_EXHAUSTED) {
    text += `; retry after ${retryAfterSeconds(error) ?? "?"} s`;
  }
  return text;
}

async function main(accounts) {
  let step = "register";
  try {
    const { account } = await accounts.register(username, password);
    print({ step, username: account.username, id: account.id, created_at: timestampToIso(account.created_at) });

    step = "login";
    const session = await accounts.login(username, password);
    print({
      step,
      username: session.account?.username ?? null,
      token_length: session.token.length,
      expires_at: timestampToIso(session.expires_at),
    });

    step = "whoami";
    const me = await accounts.whoAmI(session.token);
    print({ step, username: me.account?.username ?? null, id: me.account?.id ?? null, expires_at: timestampToIso(me.expires_at) });

    step = "logout";
    await accounts.logout(session.token);
    print({ step, ok: true });

    step = "whoami_after_logout";
    try {
      await accounts.whoAmI(session.token);
    } catch (error) {
      if (error.code !== status.UNAUTHENTICATED) throw error;
      print({ step, refused: true, code: codeName(error.code) });
      return;
    }
    throw new Error("WhoAmI accepted the token after logout (expected UNAUTHENTICATED)");
  } catch (error) {
    throw new Error(explain(step, error), { cause: error });
  }
}

const accounts = createAccountsClient(addr);
try {
  await main(accounts);
} catch (error) {
  console.error(`demo: ${error.message}`);
  process.exitCode = 1;
} finally {
  accounts.close();
}
