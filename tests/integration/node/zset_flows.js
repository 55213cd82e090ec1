// SPDX-License-Identifier: BSD-3-Clause
// Sorted-set flows of a job queue and a rate limiter through a real Node client, against
// the server at 127.0.0.1:<port>: delayed jobs ZADDed at their due time, a poller moving
// due jobs (WATCH, ZRANGEBYSCORE ... LIMIT, then ZREM + ZADD in MULTI; a concurrent ZADD
// aborts one EXEC, which is retried), a worker on BZPOPMIN (served at once, woken by a
// ZADD while blocked, timing out), and a sliding-window rate limiter (ZREMRANGEBYSCORE +
// ZADD + ZCARD + PEXPIRE in MULTI). Times are the client's, passed as scores, so every
// server sees the same. Prints one JSON transcript, to be compared with the same run
// against redis-server.
// Usage: node zset_flows.js <port> <ioredis|node-redis> [2|3]
'use strict';

const [port, lib, proto] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4] || 2)];

setTimeout(() => { console.error('FAIL: timed out'); process.exit(1); }, 20000).unref();

// A uniform face over the two libraries, each used through its own typed API: zadd(key,
// [[score, member]...]), zrangebyscore(key, min, max, offset, count), watch/unwatch(key),
// tx(fn(m)) running fn on a MULTI builder with zrem/zadd/zremrangebyscore/zcard/pexpire
// and returning EXEC's replies (null when a WATCH aborted it), bzpopmin(key, timeout),
// zrangeWithScores(key), del(...keys), quit().
async function makeClient() {
  if (lib === 'ioredis') {
    const Redis = require('ioredis');
    const c = new Redis({port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0});
    await c.connect();
    return {
      zadd: (k, pairs) => c.zadd(k, ...pairs.flat()),
      zaddNx: (k, s, m) => c.zadd(k, 'NX', s, m),
      zrangebyscore: (k, min, max, off, n) => c.zrangebyscore(k, min, max, 'LIMIT', off, n),
      watch: (k) => c.watch(k),
      unwatch: () => c.unwatch(),
      tx: async (fn) => {
        const m = c.multi();
        fn({
          zrem: (k, ms) => m.zrem(k, ...ms),
          zadd: (k, pairs) => m.zadd(k, ...pairs.flat()),
          zremrangebyscore: (k, min, max) => m.zremrangebyscore(k, min, max),
          zcard: (k) => m.zcard(k),
          pexpire: (k, ms) => m.pexpire(k, ms),
        });
        const res = await m.exec();
        return res === null ? null : res.map(([err, v]) => (err ? 'error: ' + err.message : v));
      },
      bzpopmin: (k, t) => c.bzpopmin(k, t),
      zrangeWithScores: (k) => c.zrange(k, 0, -1, 'WITHSCORES'),
      del: (...ks) => c.del(...ks),
      quit: () => c.quit(),
    };
  }
  const {createClient, WatchError} = require('redis');
  const c = createClient({socket: {port, host: '127.0.0.1', reconnectStrategy: false},
                          RESP: proto});
  c.on('error', (e) => { console.error('FAIL: client error: ' + e); process.exit(1); });
  await c.connect();
  const pairs2 = (pairs) => pairs.map(([score, value]) => ({score, value}));
  return {
    zadd: (k, pairs) => c.zAdd(k, pairs2(pairs)),
    zaddNx: (k, s, m) => c.zAdd(k, {score: s, value: m}, {NX: true}),
    zrangebyscore: (k, min, max, off, n) =>
      c.zRangeByScore(k, min, max, {LIMIT: {offset: off, count: n}}),
    watch: (k) => c.watch(k),
    unwatch: () => c.unwatch(),
    tx: async (fn) => {
      const m = c.multi();
      fn({
        zrem: (k, ms) => m.zRem(k, ms),
        zadd: (k, pairs) => m.zAdd(k, pairs2(pairs)),
        zremrangebyscore: (k, min, max) => m.zRemRangeByScore(k, min, max),
        zcard: (k) => m.zCard(k),
        pexpire: (k, ms) => m.pExpire(k, ms),
      });
      try {
        return await m.exec();
      } catch (e) {
        if (e instanceof WatchError) return null;
        throw e;
      }
    },
    bzpopmin: (k, t) => c.bzPopMin(k, t),
    zrangeWithScores: (k) => c.zRangeWithScores(k, 0, -1),
    del: (...ks) => c.del(ks),
    quit: () => c.quit(),
  };
}

// Moves up to 2 jobs due at `now` from the delayed set to the ready set (score: due time,
// so BZPOPMIN serves the oldest first). `meddle` runs between the read and the MULTI, as
// a concurrent producer would. Returns [due jobs, EXEC's replies or null].
async function poll(c, now, meddle) {
  await c.watch('q:delayed');
  const due = await c.zrangebyscore('q:delayed', '-inf', now, 0, 2);
  if (due.length === 0) {
    await c.unwatch();
    return [due, []];
  }
  if (meddle) await meddle();
  const res = await c.tx((m) => {
    m.zrem('q:delayed', due);
    m.zadd('q:ready', due.map((j) => [now, j]));
  });
  return [due, res];
}

async function main() {
  const c = await makeClient();
  const producer = await makeClient();
  const worker = await makeClient();
  const out = [];
  await c.del('q:delayed', 'q:ready', 'q:urgent', 'q:empty', 'rl:user:7');
  out.push(await c.zadd('q:delayed', [[1000, 'job1'], [3000, 'job2'], [2000, 'job3'],
                                      [5000, 'job4'], [2000, 'job5']]));
  out.push(await c.zaddNx('q:delayed', 9999, 'job2'));
  out.push(await poll(c, 500));
  out.push(await poll(c, 2500));
  out.push(await poll(c, 2500));
  out.push(await poll(c, 3000, () => producer.zadd('q:delayed', [[100, 'job6']])));
  out.push(await poll(c, 3000));
  out.push(await c.zrangeWithScores('q:delayed'));
  for (let i = 0; i < 3; i++) out.push(await worker.bzpopmin('q:ready', 1));
  // a worker blocked on an empty queue, woken by a producer's ZADD
  const blocked = worker.bzpopmin('q:urgent', 5);
  await new Promise((r) => setTimeout(r, 100));
  out.push(await producer.zadd('q:urgent', [[7, 'job9'], [3, 'job8']]));
  out.push(await blocked);
  out.push(await worker.bzpopmin('q:empty', 0.05));
  out.push(await c.zrangeWithScores('q:urgent'));
  for (const t of [1000, 1100, 1200, 1300, 1999, 2000, 2101, 2150, 3500]) {
    const res = await c.tx((m) => {
      m.zremrangebyscore('rl:user:7', '-inf', t - 1000);
      m.zadd('rl:user:7', [[t, 'req:' + t]]);
      m.zcard('rl:user:7');
      m.pexpire('rl:user:7', 60000);
    });
    out.push([res, res[2] <= 3]);
  }
  out.push(await c.zrangeWithScores('rl:user:7'));
  console.log(JSON.stringify(out));
  await Promise.all([c.quit(), producer.quit(), worker.quit()]);
}

main().catch((e) => { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
