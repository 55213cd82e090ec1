// SPDX-License-Identifier: BSD-3-Clause
// Pub/Sub flows of a collaboration app with a real Node client, against the server at
// 127.0.0.1:<port>: two "web servers" share the channel of project 42 and broadcast to
// each other (each hears both its own and the other's events, as a socket.io adapter
// does, and keeps the other's), a worker follows every channel of the project through the
// pattern `project:42:*`, and an unsubscribed channel hears nothing more.
// Usage: node pubsub_flows.js <port> <ioredis|node-redis> [2|3]
// Prints "ok <summary>" and exits 0, or prints the failure and exits 1.
'use strict';

const [port, lib, proto] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4] || 2)];
const N = 200; // events each web server broadcasts

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}

setTimeout(() => fail('timed out'), 20000).unref();

// A uniform face over the two libraries: connect(), subscribe(channel, fn(msg, channel)),
// psubscribe(pattern, fn(msg, channel, pattern)), unsubscribe(channel), publish, quit.
async function makeClient() {
  if (lib === 'ioredis') {
    const Redis = require('ioredis');
    const c = new Redis({port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0});
    await c.connect();
    const handlers = {}, phandlers = {};
    c.on('message', (ch, msg) => handlers[ch] && handlers[ch](msg, ch));
    c.on('pmessage', (pat, ch, msg) => phandlers[pat] && phandlers[pat](msg, ch, pat));
    return {
      subscribe: async (ch, fn) => { handlers[ch] = fn; return c.subscribe(ch); },
      psubscribe: async (pat, fn) => { phandlers[pat] = fn; return c.psubscribe(pat); },
      unsubscribe: async (ch) => c.unsubscribe(ch),
      publish: (ch, msg) => c.publish(ch, msg),
      ping: () => c.ping(),
      raw: c,
      quit: () => c.quit(),
    };
  }
  const {createClient} = require('redis');
  const c = createClient({socket: {port, host: '127.0.0.1', reconnectStrategy: false},
                          RESP: proto});
  c.on('error', (e) => fail('client error: ' + e));
  await c.connect();
  return {
    subscribe: (ch, fn) => c.subscribe(ch, (msg, channel) => fn(msg, channel)),
    psubscribe: (pat, fn) => c.pSubscribe(pat, (msg, channel) => fn(msg, channel, pat)),
    unsubscribe: (ch) => c.unsubscribe(ch),
    publish: (ch, msg) => c.publish(ch, msg),
    ping: () => c.ping(),
    raw: c,
    quit: () => c.quit(),
  };
}

async function webServer(id) {
  // One connection publishes and runs commands, one listens (a RESP3 node-redis client
  // could do both on one, but a socket.io adapter keeps two).
  const pub = await makeClient();
  const sub = await makeClient();
  const heard = {own: 0, other: []};
  await sub.subscribe('project:42:events', (msg) => {
    const ev = JSON.parse(msg);
    if (ev.from === id) heard.own++;
    else heard.other.push(ev.seq);
  });
  return {id, pub, sub, heard};
}

function waitFor(pred, what) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const tick = () => {
      if (pred()) return resolve();
      if (Date.now() - t0 > 10000) fail('waiting for ' + what);
      setTimeout(tick, 5);
    };
    tick();
  });
}

(async () => {
  const a = await webServer('web-a');
  const b = await webServer('web-b');
  const worker = await makeClient();
  const seen = [];
  await worker.psubscribe('project:42:*', (msg, channel, pat) => {
    if (pat !== 'project:42:*') fail('pattern ' + pat);
    seen.push(channel);
  });
  // Another project's traffic must not reach project 42's listeners.
  const other = await makeClient();
  let leaked = 0;
  await other.subscribe('project:7:events', () => {});
  await worker.psubscribe('project:7:*', () => { leaked++; });

  const counts = [];
  for (let i = 0; i < N; i++) {
    counts.push(a.pub.publish('project:42:events', JSON.stringify({from: a.id, seq: i})));
    counts.push(b.pub.publish('project:42:events', JSON.stringify({from: b.id, seq: i})));
  }
  counts.push(a.pub.publish('project:42:presence', 'user:1 joined'));
  const receivers = await Promise.all(counts);
  // Each event reaches both web servers and the worker's pattern.
  for (let i = 0; i < 2 * N; i++) if (Number(receivers[i]) !== 3) fail('receivers ' + receivers[i]);
  if (Number(receivers[2 * N]) !== 1) fail('presence receivers ' + receivers[2 * N]);
  await waitFor(() => a.heard.other.length === N && b.heard.other.length === N &&
                      seen.length === 2 * N + 1, 'broadcasts');
  for (const w of [a, b]) {
    if (w.heard.own !== N) fail(w.id + ' heard ' + w.heard.own + ' of its own');
    for (let i = 0; i < N; i++) if (w.heard.other[i] !== i) fail(w.id + ' order at ' + i);
  }
  if (seen.filter((ch) => ch === 'project:42:presence').length !== 1) fail('worker: no presence');
  const n7 = Number(await a.pub.publish('project:7:events', 'x'));
  if (n7 !== 2) fail('project 7 receivers ' + n7);
  await waitFor(() => leaked === 1, 'project 7 pattern');

  // web-b leaves the project: web-a's events reach only web-a and the worker.
  await b.sub.unsubscribe('project:42:events');
  const after = Number(await a.pub.publish('project:42:events', JSON.stringify({from: a.id, seq: N})));
  if (after !== 2) fail('receivers after unsubscribe ' + after);
  // The subscriber connection still answers PING (RESP2: ["pong", ""], which the
  // libraries turn into "PONG"/"pong"; RESP3: PONG).
  const pong = String(await b.sub.ping());
  if (pong.toLowerCase() !== 'pong') fail('ping while subscribed: ' + pong);
  for (const c of [a.pub, a.sub, b.pub, b.sub, worker, other]) await c.quit();
  console.log('ok ' + lib + ' resp' + proto + ': ' + (4 * N) + ' broadcasts, ' + seen.length + ' pattern deliveries');
})().catch((e) => fail(e && e.stack || e));
