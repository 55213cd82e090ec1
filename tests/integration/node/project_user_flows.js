// SPDX-License-Identifier: BSD-3-Clause
// A project user's session through a real Node client, against the server at
// 127.0.0.1:<port>: it logs in as user "alpha" (password "pa"), writes and reads its own
// keys, walks SCAN with the library's own iterator, lists KEYS, is refused another
// project's key (the error as the library reports it), and runs a script. Prints one JSON
// transcript.
// Usage: node project_user_flows.js <port> <ioredis|node-redis> [2|3]
'use strict';

const [port, lib, proto] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4] || 2)];

setTimeout(() => { console.error('FAIL: timed out'); process.exit(1); }, 20000).unref();

async function makeClient() {
  if (lib === 'ioredis') {
    const Redis = require('ioredis');
    const c = new Redis({port, host: '127.0.0.1', username: 'alpha', password: 'pa',
                         lazyConnect: true, maxRetriesPerRequest: 0});
    await c.connect();
    return {
      set: (k, v) => c.set(k, v),
      get: (k) => c.get(k),
      keys: (p) => c.keys(p),
      scanAll: () => new Promise((resolve, reject) => {
        const out = [];
        c.scanStream({count: 2}).on('data', (ks) => out.push(...ks))
          .on('end', () => resolve(out)).on('error', reject);
      }),
      dbsize: () => c.dbsize(),
      evalKeys: () => c.eval("return redis.call('KEYS', '*')", 0),
      quit: () => c.quit(),
    };
  }
  const {createClient} = require('redis');
  const c = createClient({socket: {port, host: '127.0.0.1', reconnectStrategy: false},
                          username: 'alpha', password: 'pa', RESP: proto});
  c.on('error', (e) => { console.error('FAIL: client error: ' + e); process.exit(1); });
  await c.connect();
  return {
    set: (k, v) => c.set(k, v),
    get: (k) => c.get(k),
    keys: (p) => c.keys(p),
    scanAll: async () => {
      const out = [];
      for await (const ks of c.scanIterator({COUNT: 2})) out.push(...(Array.isArray(ks) ? ks : [ks]));
      return out;
    },
    dbsize: () => c.dbSize(),
    evalKeys: () => c.eval("return redis.call('KEYS', '*')", {keys: [], arguments: []}),
    quit: () => c.quit(),
  };
}

async function attempt(fn) {
  try {
    return await fn();
  } catch (e) {
    return 'error: ' + e.message;
  }
}

(async () => {
  const c = await makeClient();
  const out = [];
  out.push(await c.set('project:alpha:new', 'x'));
  out.push(await c.get('project:alpha:new'));
  out.push((await c.keys('*')).sort());
  out.push([...new Set(await c.scanAll())].sort());
  out.push(await c.dbsize());
  out.push(await attempt(() => c.get('project:bravo:str')));
  out.push(await attempt(() => c.set('project:bravo:str', 'y')));
  out.push((await c.evalKeys()).sort());
  await c.quit();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error('FAIL: ' + (e && e.stack || e)); process.exit(1); });
