// A promise-based client of the Clocker accounts service (clocker.v1.Accounts),
// with @grpc/grpc-js and the .proto loaded at run time by @grpc/proto-loader.
//
//   import { createAccountsClient } from "./accounts.js";
//   const accounts = createAccountsClient();          // $CLOCKER_ACCOUNTS_ADDR or 127.0.0.1:50006
//   const { account } = await accounts.register("alice", password);
//   const { token } = await accounts.login("alice", password);
//   const me = await accounts.whoAmI(token);
//   await accounts.logout(token);
//   accounts.close();
//
// A failed call rejects with grpc-js's ServiceError: `code` (compare with the
// exported `status`), `details`, `metadata`.
import { fileURLToPath } from "node:url";
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";

/** Where the service listens when $CLOCKER_ACCOUNTS_ADDR is not set. */
export const DEFAULT_ADDR = "127.0.0.1:50006";

/** The gRPC status codes, by name (`status.UNAUTHENTICATED`, ...). */
export const { status } = grpc;

// The repository's proto/ directory, found from this file, not from the cwd.
const PROTO_ROOT = fileURLToPath(new URL("../../proto/", import.meta.url));

const definition = protoLoader.loadSync("clocker/v1/accounts.proto", {
  includeDirs: [PROTO_ROOT],
  keepCase: true,
  longs: String,
  defaults: true,
  oneofs: true,
});
const { clocker } = grpc.loadPackageDefinition(definition);

/** The address to use: $CLOCKER_ACCOUNTS_ADDR (host:port), else DEFAULT_ADDR. */
export function accountsAddr(env = process.env) {
  return env.CLOCKER_ACCOUNTS_ADDR || DEFAULT_ADDR;
}

/** The name of a gRPC status code (`16` -> "UNAUTHENTICATED"). */
export function codeName(code) {
  return Object.keys(status).find((name) => status[name] === code) ?? `CODE_${code}`;
}

/** Seconds to wait before logging in again, from a RESOURCE_EXHAUSTED error's
 *  `retry-after` metadata; undefined when absent. */
export function retryAfterSeconds(error) {
  const [value] = error?.metadata?.get?.("retry-after") ?? [];
  return value === undefined ? undefined : Number(value);
}

/** A google.protobuf.Timestamp (`{ seconds: "…", nanos }`) as an ISO 8601
 *  string with milliseconds, or null when unset. */
export function timestampToIso(timestamp) {
  if (!timestamp) return null;
  const ms = Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1e6);
  return new Date(ms).toISOString();
}

/**
 * A client of the accounts service at `addr` (insecure channel).
 * Every call has a deadline of `deadlineMs` and fails fast (UNAVAILABLE) when
 * nothing listens at `addr`.
 */
export function createAccountsClient(addr = accountsAddr(), { deadlineMs = 5_000 } = {}) {
  const client = new clocker.v1.Accounts(addr, grpc.credentials.createInsecure());

  const call = (method, request, metadata = new grpc.Metadata()) =>
    new Promise((resolve, reject) => {
      client[method](request, metadata, { deadline: Date.now() + deadlineMs }, (error, reply) =>
        error ? reject(error) : resolve(reply),
      );
    });

  return {
    addr,
    /** Creates an account: `{ account }`. */
    register: (username, password) => call("Register", { username, password }),
    /** Starts a session: `{ token, expires_at, account }`. */
    login: (username, password) => call("Login", { username, password }),
    /** Ends a session (idempotent): `{}`. */
    logout: (token) => call("Logout", { token }),
    /** The session's account: `{ account, expires_at }`. With `{ bearer: true }`
     *  the token goes in `authorization: Bearer` metadata instead of the field. */
    whoAmI: (token, { bearer = false } = {}) => {
      if (!bearer) return call("WhoAmI", { token });
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${token}`);
      return call("WhoAmI", { token: "" }, metadata);
    },
    close: () => client.close(),
  };
}
