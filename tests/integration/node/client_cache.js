// SPDX-License-Identifier: BSD-3-Clause
// node-redis v5's client-side cache over RESP3 against the server on argv[2]: a cached
// GET is served from the cache until another client changes the key, after which the
// invalidation push drops it and the next GET reads the new value; FLUSHALL empties the
// cache; a hash read (HGETALL) is invalidated by HSET. Prints "ok ..." or exits 1.
const { createClient } = require('redis');

const port = Number(process.argv[2]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, cond) {
  for (let i = 0; i < 200; i++) {
    if (await cond()) return;
    await sleep(10);
  }
  throw new Error('timed out waiting for ' + what);
}

function check(cond, what) {
  if (!cond) throw new Error('failed: ' + what);
}

async function main() {
  const cached = createClient({ socket: { port }, RESP: 3, clientSideCache: { ttl: 0, maxEntries: 0 } });
  const other = createClient({ socket: { port } });
  await cached.connect();
  await other.connect();
  const csc = cached.clientSideCache;
  await other.set('project:42:state', 'v1');
  await other.hSet('project:42:presence', { u1: 'on' });

  check(await cached.get('project:42:state') === 'v1', 'first GET');
  check(await cached.get('project:42:state') === 'v1', 'second GET');
  check(csc.stats().hitCount === 1, 'second GET is a cache hit: ' + JSON.stringify(csc.stats()));
  check(csc.size() === 1, 'one entry cached');

  await other.set('project:42:state', 'v2');
  await until('the invalidation of project:42:state', () => csc.size() === 0);
  check(await cached.get('project:42:state') === 'v2', 'GET after the invalidation reads v2');

  const h = await cached.hGetAll('project:42:presence');
  check(h.u1 === 'on', 'HGETALL');
  await cached.hGetAll('project:42:presence');
  check(csc.size() === 2, 'two entries cached');
  await other.hSet('project:42:presence', { u2: 'on' });
  await until('the invalidation of the hash', () => csc.size() === 1);
  const h2 = await cached.hGetAll('project:42:presence');
  check(h2.u2 === 'on', 'HGETALL after HSET sees u2');

  await other.flushAll();
  await until('FLUSHALL empties the cache', () => csc.size() === 0);
  check(await cached.get('project:42:state') === null, 'GET after FLUSHALL');

  const stats = csc.stats();
  await cached.quit();
  await other.quit();
  console.log('ok hits=' + stats.hitCount + ' misses=' + stats.missCount);
}

main().catch((e) => {
  console.log(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
