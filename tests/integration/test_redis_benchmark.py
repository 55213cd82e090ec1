# SPDX-License-Identifier: BSD-3-Clause
"""redis-benchmark against respite, for correctness only (no timing is asserted): every
requested test completes and reports its throughput, without any error, both with one
request per round trip and pipelined (-P 16).
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ServerTestCase, main  # noqa: E402

BENCH = shutil.which("redis-benchmark") or "/usr/bin/redis-benchmark"
TESTS = "ping_inline,ping_mbulk,set,get,incr,mset"
# The names redis-benchmark prints for the tests above.
TITLES = ("PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)")


class RedisBenchmark(ServerTestCase):

    def run_benchmark(self, *extra):
        argv = [BENCH, "-h", "127.0.0.1", "-p", str(self.server.port), "-t", TESTS,
                "-n", "20000", "-c", "50", "-q"] + list(extra)
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240)
        out = proc.stdout.decode(errors="replace")
        err = proc.stderr.decode(errors="replace")
        self.assertEqual(proc.returncode, 0, out + err)
        # -q rewrites a progress line with '\r' before printing the result.
        lines = [part.strip() for line in out.splitlines() for part in line.split("\r")]
        for title in TITLES:
            self.assertTrue(any(line.startswith(title + ": ") and "requests per second" in line
                                for line in lines), "no result for %s in:\n%s" % (title, out))
        for text in (out, err):
            self.assertNotIn("ERR", text)
            self.assertNotIn("error", text.lower())
        return out

    def test_one_request_per_round_trip(self):
        self.run_benchmark()

    def test_pipelined_16(self):
        self.run_benchmark("-P", "16")


if __name__ == "__main__":
    main()
