# SPDX-License-Identifier: BSD-3-Clause
"""respite-server as it is shipped: a Release build linked with jemalloc (the other
integration tests run the sanitizer build, whose allocator is ASan's). Builds that binary
in its own build tree, then checks what the allocator set-up promises (server/thp.c,
server/main.c's malloc_conf):

- jemalloc is linked in (INFO mem_allocator, MEMORY MALLOC-STATS) and statically: the
  process maps no libjemalloc.so, nor the C++ runtime that one needs;
- an empty server holds no transparent huge page; a heap past 32 MB is given them (when
  the system allows them at all), so that a BGSAVE's fork stays short;
- MALLOC_CONF=thp:never in the environment turns them off.

Arguments: --source-dir SRC --build-dir DIR (the Release build tree to make).
"""
import argparse
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ARGS = None
THP_SETTING = "/sys/kernel/mm/transparent_hugepage/enabled"


def build_release():
    subprocess.run(["cmake", "-S", ARGS.source_dir, "-B", ARGS.build_dir,
                    "-DCMAKE_BUILD_TYPE=Release"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", ARGS.build_dir, "-j2", "--target", "respite-server"],
                   check=True, stdout=subprocess.DEVNULL)
    return os.path.join(ARGS.build_dir, "respite-server")


def huge_kb(pid):
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("AnonHugePages:"):
                return int(line.split()[1])
    raise AssertionError("no AnonHugePages in smaps_rollup")


def thp_possible():
    try:
        with open(THP_SETTING) as f:
            return "[never]" not in f.read()
    except OSError:
        return False


class Allocator(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        os.environ["RESPITE_SERVER"] = build_release()

    def server(self, malloc_conf=None):
        """A server with MALLOC_CONF set to malloc_conf, or unset."""
        s = harness.Server(env={"MALLOC_CONF": malloc_conf}).start()
        self.addCleanup(s.stop)
        return s

    def fill(self, s):
        """About 60 MB of heap: 400,000 strings of 100 bytes."""
        c = s.client()
        self.assertEqual(c.execute_command("DEBUG", "POPULATE", 400000, "key", 100), b"OK")
        self.assertEqual(c.dbsize(), 400000)

    def test_jemalloc_is_linked_statically(self):
        s = self.server()
        info = s.client().info("memory")
        self.assertEqual(info["mem_allocator"], "jemalloc-5.3.0")
        stats = s.client().execute_command("MEMORY", "MALLOC-STATS")
        self.assertIn(b"___ Begin jemalloc statistics ___", stats)
        with open("/proc/%d/maps" % s.pid) as f:
            maps = f.read()
        self.assertNotIn("libjemalloc", maps)
        self.assertNotIn("libstdc++", maps)

    def test_huge_pages_past_32_mb_only(self):
        s = self.server()
        self.assertEqual(huge_kb(s.pid), 0, "an empty server holds huge pages")
        if not thp_possible():
            self.skipTest("the system allows no transparent huge pages (%s)" % THP_SETTING)
        self.fill(s)
        self.assertGreater(huge_kb(s.pid), 16 * 1024, "a 60 MB heap holds no huge pages")

    def test_thp_never_turns_them_off(self):
        s = self.server("thp:never")
        self.fill(s)
        self.assertEqual(huge_kb(s.pid), 0)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--build-dir", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)
