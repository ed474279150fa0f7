// A Clocker fleet for the browser tests: every service a separate
// `clocker serve` process on a port the OS picks, so a test can kill one
// service and start it again on the same address. The clock services and
// the funnel always run; the accounts service and the timer service (each
// with its SQLite store in a temporary directory removed on stop, or the
// PostgreSQL database the environment names), the random service, the REST
// gateway and the SSE stream service only when a test asks for them. Each service finds the
// others started before it through CLOCKER_<SERVICE>_ADDR; one whose
// requirement is not running still starts and answers 503 for that part.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const BIN = process.env.CLOCKER_BIN;
if (!BIN) {
  throw new Error("CLOCKER_BIN must name the clocker binary (make test-e2e sets it)");
}

/** The clock services, in start order; the funnel comes after them. */
export const CLOCK_SERVICES = ["current-time", "hours", "minutes", "seconds", "milliseconds"];

/** The optional services, in start order (after the clock services, before the funnel). */
export const OPTIONAL_SERVICES = ["accounts", "timers", "random", "gateway", "stream"];

/** How long a service may take to say it listens. */
const START_TIMEOUT_MS = 20_000;

const envVar = (name) => `CLOCKER_${name.replaceAll("-", "_").toUpperCase()}_ADDR`;

/** A port the OS has just handed out and taken back: free for a moment, for a service that must know it early. */
async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

export class Fleet {
  /**
   * Starts the five clock services, the optional services asked for, and
   * the funnel (which finds each of them through CLOCKER_<SERVICE>_ADDR, and
   * names the gateway and the stream service in its /config.json).
   * @param {{clock?: string, tick?: string, accounts?: boolean, timers?: boolean, random?: boolean,
   *   gateway?: boolean, stream?: boolean}} options
   *   current-time's clock (e.g. `offset:3700ms`), the funnel's tick, and
   *   which optional services to run.
   */
  static async start(options = {}) {
    const fleet = new Fleet(options);
    const services = [...CLOCK_SERVICES, ...OPTIONAL_SERVICES.filter((name) => options[name]), "funnel"];
    try {
      // The gateway and the stream service let the funnel's page call them (CORS): they
      // learn its origin from CLOCKER_FUNNEL_ADDR, so its port is chosen before they start.
      if (options.gateway || options.stream) fleet.addrs.set("funnel", `127.0.0.1:${await freePort()}`);
      for (const name of services) {
        await fleet.startService(name);
      }
    } catch (error) {
      await fleet.stop();
      throw error;
    }
    return fleet;
  }

  constructor(options) {
    this.options = options;
    /** @type {Map<string, string>} service → host:port */
    this.addrs = new Map();
    /** @type {Map<string, import("node:child_process").ChildProcess>} */
    this.children = new Map();
    /** Recent stderr lines of every service, for failure messages. */
    this.logs = [];
    /** @type {Map<string, string>} service → the other endpoint it reported (timers: `tcp://…`, ZeroMQ) */
    this.also = new Map();
    /** The timer service's data directory, made on its first start. */
    this.dataDir = null;
    /** The accounts service's data directory, made on its first start. */
    this.accountsDir = null;
  }

  /** The page's URL, e.g. `http://127.0.0.1:40123/`. */
  get url() {
    return `http://${this.addrs.get("funnel")}/`;
  }

  /** The base URL of an HTTP service (gateway, stream), e.g. `http://127.0.0.1:40124/`. */
  urlOf(name) {
    const addr = this.addrs.get(name);
    if (!addr) throw new Error(`${name} is not part of this fleet`);
    return `http://${addr}/`;
  }

  /** Starts `name`, on the address it had before if it ran already. */
  async startService(name) {
    const args = ["serve", name, "--addr", this.addrs.get(name) ?? "127.0.0.1:0"];
    if (name === "current-time" && this.options.clock) args.push("--clock", this.options.clock);
    if (name === "funnel") args.push("--tick", this.options.tick ?? "50ms", "--tz", "UTC");
    if (name === "accounts") {
      this.accountsDir ??= await mkdtemp(join(tmpdir(), "clocker-e2e-accounts-"));
      args.push("--data-dir", this.accountsDir, "--budget", "1s");
    }
    if (name === "timers") {
      this.dataDir ??= await mkdtemp(join(tmpdir(), "clocker-e2e-timers-"));
      args.push("--zmq-addr", "tcp://127.0.0.1:0", "--data-dir", this.dataDir);
      // A debug build writing SQLite while Chromium takes the CPU can overrun
      // 50 ms now and then; these tests check the page, the budget is the
      // Rust tests' and the benchmarks' business.
      args.push("--budget", "1s");
    }
    const env = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" };
    for (const [service, addr] of this.addrs) {
      if (service !== name) env[envVar(service)] = addr;
    }
    const child = spawn(BIN, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    this.children.set(name, child);
    createInterface({ input: child.stderr }).on("line", (line) => {
      this.logs.push(`${name}: ${line}`);
      if (this.logs.length > 200) this.logs.shift();
    });
    const lines = createInterface({ input: child.stdout });
    const listening = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} did not start in time:\n${this.logs.join("\n")}`)),
        START_TIMEOUT_MS,
      );
      lines.on("line", (line) => {
        const also = line.match(/ also listening on (.+)$/);
        if (also) {
          this.also.set(name, also[1]);
          return;
        }
        const match = line.match(/ listening on (\S+)$/);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${this.logs.join("\n")}`));
      });
    });
    this.addrs.set(name, await listening);
  }

  /** Stops `name`: SIGKILL (it dies) or SIGTERM (it shuts down gracefully). */
  async stopService(name, signal = "SIGKILL") {
    const child = this.children.get(name);
    this.children.delete(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill(signal);
    await exited;
  }

  /** Stops every service, the funnel first, and removes the timers' data. */
  async stop() {
    for (const name of [...this.children.keys()].reverse()) {
      await this.stopService(name, "SIGTERM");
    }
    for (const dir of [this.dataDir, this.accountsDir]) {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
    this.dataDir = null;
    this.accountsDir = null;
  }
}
