// A Node.js WebSocket broadcaster on npm `ws`, the peer P4 and P6 measure the
// funnel's `/ws` against: every tick it builds one frame of the funnel's
// shape and size and sends it to every open client with the broadcast loop
// of ws's README. Any path is accepted (the benchmark asks for /ws?tz=UTC).
//
//   node bench/peers/ws-broadcast.mjs --port 0 --tick-ms 50
import { WebSocket, WebSocketServer } from 'ws';

import { every, exitWithParent, listening, options } from './args.mjs';

const { port, tickMs } = options();
exitWithParent();

const wss = new WebSocketServer({ host: '127.0.0.1', port });
wss.on('listening', () => listening(wss.address().port));
wss.on('error', (err) => {
  console.error(`ws-broadcast: ${err.message}`);
  process.exit(1);
});

const pad = (n, width) => String(n).padStart(width, '0');
let seq = 0;

every(tickMs, () => {
  const now = new Date();
  const [h, m, s, ms] = [now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds(), now.getUTCMilliseconds()];
  const data = JSON.stringify({
    time: `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(ms, 3)}`,
    hours: h,
    minutes: m,
    seconds: s,
    milliseconds: ms,
    unix_ms: now.getTime(),
    tz: 'UTC',
    seq: seq++,
  });
  wss.clients.forEach((client) => client.readyState === WebSocket.OPEN && client.send(data));
});
