// Reads the fleet's instant straight from current-time over gRPC
// (@grpc/grpc-js, a third-party client), bracketed by this machine's clock.
import { fileURLToPath } from "node:url";
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";

const PROTO = fileURLToPath(new URL("../../proto/clocker/v1/clock.proto", import.meta.url));

const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, defaults: true });
const { clocker } = grpc.loadPackageDefinition(definition);

/** This machine's wall clock, unix ms with sub-ms digits. */
export const wallClockMs = () => performance.timeOrigin + performance.now();

export class CurrentTime {
  constructor(addr) {
    this.client = new clocker.v1.CurrentTime(addr, grpc.credentials.createInsecure());
  }

  /** One read: `{ instantMs, before, after }`, the instant and the local
   *  wall clock just before the call and just after its answer. */
  read() {
    return new Promise((resolve, reject) => {
      const before = wallClockMs();
      this.client.getCurrentTime({ tz: "UTC" }, { deadline: Date.now() + 5_000 }, (error, reply) => {
        const after = wallClockMs();
        if (error) return reject(error);
        resolve({ instantMs: Number(BigInt(reply.unix_nanos) / 1000n) / 1000, before, after });
      });
    });
  }

  /** current-time's clock minus this machine's, from the best of `n` reads
   *  (the one with the shortest round trip): `{ offsetMs, boundMs }`. */
  async offset(n = 10) {
    let best;
    for (let i = 0; i < n; i += 1) {
      const read = await this.read();
      if (!best || read.after - read.before < best.after - best.before) best = read;
    }
    return {
      offsetMs: best.instantMs - (best.before + best.after) / 2,
      boundMs: (best.after - best.before) / 2,
    };
  }

  close() {
    this.client.close();
  }
}
