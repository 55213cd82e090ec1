// SPDX-License-Identifier: BSD-3-Clause
// Lua flows through ioredis's defineCommand (EVALSHA, falling back to EVAL on NOSCRIPT)
// against the server at 127.0.0.1:<port>: a fixed-window and a sliding-window rate
// limiter and a lock with safe release and extension (the scripts of ../lua/), also
// after SCRIPT FLUSH and in a pipeline. Prints one JSON transcript of every result, to be
// compared with the same run against redis-server.
// Usage: node script_flows.js <port>
'use strict';

const fs = require('fs');
const path = require('path');
const Redis = require('ioredis');

const port = Number(process.argv[2]);
const lua = (name) => fs.readFileSync(path.join(__dirname, '..', 'lua', name + '.lua'), 'utf8');

setTimeout(() => { console.error('FAIL: timed out'); process.exit(1); }, 20000).unref();

async function main() {
  const r = new Redis({port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0});
  await r.connect();
  r.defineCommand('fixedWindow', {numberOfKeys: 1, lua: lua('fixed_window')});
  r.defineCommand('slidingWindow', {numberOfKeys: 1, lua: lua('sliding_window')});
  r.defineCommand('lockRelease', {numberOfKeys: 1, lua: lua('lock_release')});
  r.defineCommand('lockExtend', {numberOfKeys: 1, lua: lua('lock_extend')});
  const out = [];
  await r.del('rl:fixed:a', 'rl:fixed:b', 'rl:slide:a', 'lock:report');
  for (let i = 0; i < 7; i++) out.push(await r.fixedWindow('rl:fixed:a', 5, 60000));
  await r.script('FLUSH');
  out.push(await r.fixedWindow('rl:fixed:b', 5, 60000)); // NOSCRIPT, then EVAL
  for (const t of [1000, 1100, 1200, 1300, 1999, 2000, 2101, 2150, 3500])
    out.push(await r.slidingWindow('rl:slide:a', t, 1000, 3));
  out.push(await r.zrange('rl:slide:a', 0, -1));
  out.push(await r.set('lock:report', 'tok-1', 'PX', 10000, 'NX'));
  out.push(await r.set('lock:report', 'tok-2', 'PX', 10000, 'NX'));
  out.push(await r.lockRelease('lock:report', 'tok-2'));
  out.push(await r.lockExtend('lock:report', 'tok-2', 20000));
  out.push(await r.lockExtend('lock:report', 'tok-1', 20000));
  out.push((await r.pttl('lock:report')) > 10000);
  out.push(await r.lockRelease('lock:report', 'tok-1'));
  out.push(await r.lockRelease('lock:report', 'tok-1'));
  out.push(await r.set('lock:report', 'tok-2', 'PX', 10000, 'NX'));
  await r.script('FLUSH');
  const res = await r.pipeline()
    .fixedWindow('rl:fixed:a', 5, 60000)
    .lockRelease('lock:report', 'tok-2')
    .slidingWindow('rl:slide:a', 3600, 1000, 3)
    .exec();
  out.push(res.map(([err, v]) => (err ? 'error: ' + err.message : v)));
  console.log(JSON.stringify(out));
  await r.quit();
}

main().catch((e) => { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
