# SPDX-License-Identifier: BSD-3-Clause
"""Extreme integers in client-supplied arguments: no overflow, crash or hang.

DebugClock: respite's DEBUG CLOCK (our extension) refuses to move the store clock
past STORE_CLOCK_MAX instead of wrapping it negative.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RespError, ServerTestCase, main  # noqa: E402

LLONG_MAX = 2**63 - 1
CLOCK_MAX = LLONG_MAX // 2000      # store_int.h STORE_CLOCK_MAX
CLOCK_ERR = RespError("ERR the clock would pass its limit (about year 148000)")


class DebugClock(ServerTestCase):

    def tearDown(self):
        c = self.server.conn()
        c.cmd("DEBUG", "CLOCK", "REAL")
        c.close()
        super().tearDown()

    def test_an_advance_that_would_overflow_is_refused_and_keys_still_expire(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        before = c.cmd("DEBUG", "CLOCK", "GET")
        for ms in (LLONG_MAX, LLONG_MAX - 1, CLOCK_MAX):
            self.assertEqual(c.cmd("DEBUG", "CLOCK", "ADVANCE", str(ms)), CLOCK_ERR)
        self.assertLess(abs(c.cmd("DEBUG", "CLOCK", "GET") - before), 60000)
        self.assertEqual(c.cmd("SET", "clk:k", "v", "EX", "10"), b"OK")
        self.assertEqual(c.cmd("DEBUG", "CLOCK", "ADVANCE", "11000"), b"OK")
        self.assertIsNone(c.cmd("GET", "clk:k"))

    def test_the_clock_may_be_moved_up_to_its_limit_and_no_further(self):
        c = self.server.conn()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("DEBUG", "CLOCK", "SET", str(CLOCK_MAX + 1)), CLOCK_ERR)
        self.assertEqual(c.cmd("DEBUG", "CLOCK", "SET", str(LLONG_MAX)), CLOCK_ERR)
        self.assertEqual(c.cmd("DEBUG", "CLOCK", "SET", str(CLOCK_MAX - 1)), b"OK")
        self.assertEqual(c.cmd("DEBUG", "CLOCK", "ADVANCE", "2"), CLOCK_ERR)
        self.assertEqual(c.cmd("DEBUG", "CLOCK", "ADVANCE", "1"), b"OK")
        self.assertEqual(c.cmd("DEBUG", "CLOCK", "GET"), CLOCK_MAX)
        secs, usecs = c.cmd("TIME")
        self.assertEqual(int(secs), CLOCK_MAX // 1000)
        self.assertEqual(c.cmd("SET", "clk:k2", "v", "EX", "10"), b"OK")
        self.assertEqual(c.cmd("TTL", "clk:k2"), 10)


if __name__ == "__main__":
    main()
