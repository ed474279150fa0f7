// `clocker up` for the browser tests: the real supervisor, on ports it picks
// (--ephemeral), its runtime and data directories in a fresh temporary
// directory (so its supervisor.json is its own), started and read until it
// prints `ready`, and stopped with SIGTERM.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const BIN = process.env.CLOCKER_BIN;
if (!BIN) {
  throw new Error("CLOCKER_BIN must name the clocker binary (make test-e2e sets it)");
}

/** How long `clocker up` may take to print `ready` (a debug build starting six processes). */
const START_TIMEOUT_MS = 30_000;
/** How long it may take to stop every service after SIGTERM. */
const STOP_TIMEOUT_MS = 30_000;

export class Supervisor {
  /**
   * Runs `clocker up --ephemeral` with `args` (e.g. `--only funnel`) and
   * waits for its `ready` line.
   * @param {string[]} args
   */
  static async start(args = []) {
    const dir = await mkdtemp(join(tmpdir(), "clocker-e2e-up-"));
    const supervisor = new Supervisor(dir);
    try {
      await supervisor.spawn(args);
    } catch (error) {
      await supervisor.stop().catch(() => {});
      throw error;
    }
    return supervisor;
  }

  constructor(dir) {
    this.dir = dir;
    /** @type {import("node:child_process").ChildProcess | null} */
    this.child = null;
    /** service → host:port, from the address table `clocker up` prints. */
    this.addrs = new Map();
    /** Recent lines of its stdout and stderr, for failure messages. */
    this.logs = [];
    /** Its stdout lines after `ready` (e.g. `stopped`). */
    this.after = [];
    /** Resolves to `{code, signal}` when it exits. */
    this.exited = null;
  }

  /** The funnel's base URL, e.g. `http://127.0.0.1:40123/`. */
  get url() {
    const addr = this.addrs.get("funnel");
    if (!addr) throw new Error("this supervisor runs no funnel");
    return `http://${addr}/`;
  }

  get pid() {
    return this.child?.pid;
  }

  log(line) {
    this.logs.push(line);
    if (this.logs.length > 300) this.logs.shift();
  }

  async spawn(args) {
    const env = {
      ...process.env,
      CLOCKER_RUNTIME_DIR: join(this.dir, "run"),
      CLOCKER_DATA_DIR: join(this.dir, "data"),
      RUST_LOG: process.env.RUST_LOG ?? "warn",
    };
    const child = spawn(BIN, ["up", "--ephemeral", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    createInterface({ input: child.stderr }).on("line", (line) => this.log(`stderr: ${line}`));
    const lines = createInterface({ input: child.stdout });
    let ready = false;
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`clocker up did not print ready in time:\n${this.logs.join("\n")}`)),
        START_TIMEOUT_MS,
      );
      lines.on("line", (line) => {
        this.log(line);
        if (ready) {
          this.after.push(line);
          return;
        }
        // `funnel        http  127.0.0.1:40123` (services' own logs are `name | …`).
        const addr = /^([a-z-]+)\s+(?:http|grpc)\s+(\S+)$/.exec(line);
        if (addr) this.addrs.set(addr[1], addr[2]);
        if (line.startsWith("ready")) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      });
      this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`clocker up exited (${code ?? signal}) before ready:\n${this.logs.join("\n")}`));
      });
    });
  }

  /** Stops it with SIGTERM (once) and resolves to how it exited: `{code, signal}`. */
  async stop() {
    const child = this.child;
    let result = null;
    if (child) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      result = await this.exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
    return result;
  }
}

/** Runs until `wanted` is truthy (returning it) or fails after `timeoutMs` with `what`. */
export async function until(wanted, what, timeoutMs, pauseMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await wanted();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) throw new Error(`${what} did not happen in ${timeoutMs} ms (last: ${last})`);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}
