// What both Node.js peers share: the command line, `--port 0` (a free port
// of 127.0.0.1; the first stdout line says which) and `--tick-ms N`; the
// tick; and how they end: on SIGTERM, SIGINT or when stdin closes (the
// benchmark that started them is gone).
import { parseArgs } from 'node:util';

export function options() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'tick-ms': { type: 'string', default: '50' },
    },
  });
  const port = Number(values.port);
  const tickMs = Number(values['tick-ms']);
  if (!Number.isInteger(port) || port < 0 || !(tickMs > 0)) {
    console.error('usage: --port N (0: a free one) --tick-ms N (> 0)');
    process.exit(2);
  }
  return { port, tickMs };
}

export function exitWithParent() {
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => process.exit(0));
  }
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

export function listening(port) {
  console.log(`listening on 127.0.0.1:${port}`);
}

// Calls `tick` every `periodMs` without drift (setInterval's next call
// waits a period after this one began, so a slow tick delays every later
// one). A tick that comes late skips those missed meanwhile, as a clock does.
export function every(periodMs, tick) {
  let next = performance.now() + periodMs;
  const run = () => {
    tick();
    next += periodMs;
    const now = performance.now();
    if (next < now) {
      next = now;
    }
    setTimeout(run, next - now);
  };
  setTimeout(run, periodMs);
}
