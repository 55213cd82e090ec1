#!/usr/bin/python3
"""Fill a server with hashes, sets and lists of a few fields for callgrind.sh's SETUP.

`small_values.py [--keys N] [--fields F] PORT` writes N hashes small:h:<n> of
F fields f<i> = value-<i>, N sets small:s:<n> of F members member-<i> and N
lists small:l:<n> of F elements value-<i> (one RPUSH each), n zero-padded to 12 digits as redis-benchmark's __rand_int__ is, so a load of
`-r N` reaches them. With the default F of 5 they are packed (listpack);
past hash- and set-max-listpack-entries (128) they are tables. E.g.:

  ZSET=no RANGE=10000 SETUP=benchmarks/vs_redis/small_values.py \\
      benchmarks/vs_redis/callgrind.sh build/respite-server 25001 50000 \\
      /tmp/hget.cg HGET small:h:__rand_int__ f2

A benchmark helper, not a test: nothing here is run by ctest.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=10000)
    ap.add_argument("--fields", type=int, default=5)
    ap.add_argument("port", type=int)
    args = ap.parse_args()
    hash_args = sum(([b"f%d" % i, b"value-%d" % i] for i in range(args.fields)), [])
    members = [b"member-%d" % i for i in range(args.fields)]
    elements = [b"value-%d" % i for i in range(args.fields)]
    payload = b"".join(servers.encode([b"HSET", b"small:h:%012d" % n] + hash_args) +
                       servers.encode([b"SADD", b"small:s:%012d" % n] + members) +
                       servers.encode([b"RPUSH", b"small:l:%012d" % n] + elements)
                       for n in range(args.keys))
    with servers.Conn(args.port, timeout=120) as c:
        errors = c.pipeline(payload, 3 * args.keys)
    if errors:
        sys.exit("small_values.py: %r" % errors[0])


if __name__ == "__main__":
    main()
