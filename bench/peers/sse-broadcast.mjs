// A Node.js Server-Sent Events broadcaster on the plain `node:http` module,
// the peer P6 measures the stream's `/stream` against: every tick it builds
// one event of the stream's shape and writes that one string to every open
// response.
//
//   node bench/peers/sse-broadcast.mjs --port 0 --tick-ms 100
import http from 'node:http';

import { every, exitWithParent, listening, options } from './args.mjs';

const { port, tickMs } = options();
exitWithParent();

const responses = new Set();

const server = http.createServer((req, res) => {
  if (req.method !== 'GET' || new URL(req.url, 'http://peer').pathname !== '/stream') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
  });
  res.write('retry: 1000\n\n');
  responses.add(res);
  res.on('close', () => responses.delete(res));
});
server.on('error', (err) => {
  console.error(`sse-broadcast: ${err.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => listening(server.address().port));

let sequence = 0;

every(tickMs, () => {
  const data = JSON.stringify({
    timestamp: Date.now(),
    value: Math.floor(Math.random() * 101),
    sequence,
  });
  const event = `event: data\nid: ${sequence}\ndata: ${data}\n\n`;
  sequence += 1;
  for (const res of responses) {
    res.write(event);
  }
});
