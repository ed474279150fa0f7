// The command line both Node.js peers take, and how they end: `--port 0`
// (a free port of 127.0.0.1; the first stdout line says which) and
// `--tick-ms N`; they exit on SIGTERM, SIGINT or when stdin closes (the
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
