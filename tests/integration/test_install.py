# SPDX-License-Identifier: BSD-3-Clause
"""`cmake --install BUILD --prefix DIR` gives a usable librespite: the static and shared
libraries, the public headers and a pkg-config file that finds them under DIR, so that
`cc prog.c $(pkg-config --cflags --libs respite)` builds a program that links and runs,
against the shared library and, with `pkg-config --static`, against the static one.

Arguments: --build-dir BUILD (the CMake build tree) and --sanitize ON|OFF: a library built
with ASan/UBSan needs its users to link the sanitizer runtimes too, so the test adds
-fsanitize=address,undefined to the compiler line exactly when the library has them.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import sanitizer_report  # noqa: E402

PROGRAM = r"""
#include <respite.h>
#include <respite_server.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    char err[256];
    struct respite *st = respite_open(NULL, 0, err, sizeof err);
    if (st == NULL) {
        fprintf(stderr, "respite_open: %s\n", err);
        return 1;
    }
    struct respite_client *c = respite_client_new(st);
    const char *set[] = {"SET", "installed", "yes"};
    const char *get[] = {"GET", "installed"};
    size_t len;
    const char *r = respite_exec(c, 3, set, NULL, &len);
    int ok = len == 5 && memcmp(r, "+OK\r\n", 5) == 0;
    r = respite_exec(c, 2, get, NULL, &len);
    ok = ok && len == 9 && memcmp(r, "$3\r\nyes\r\n", 9) == 0;
    respite_client_free(c);
    respite_close(st);
    puts(ok ? "installed library works" : "wrong reply");
    return ok ? 0 : 1;
}
"""

ARGS = None


class Install(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.prefix = tempfile.mkdtemp(prefix="respite-install-")
        proc = subprocess.run(["cmake", "--install", ARGS.build_dir, "--prefix", cls.prefix],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        cls.install_output = proc.stdout.decode(errors="replace")
        cls.install_status = proc.returncode

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.prefix, ignore_errors=True)

    def setUp(self):
        self.assertEqual(self.install_status, 0, self.install_output)
        self.env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(self.prefix, "lib", "pkgconfig"))
        self.env.pop("PKG_CONFIG_LIBDIR", None)
        self.work = tempfile.mkdtemp(prefix="respite-install-prog-")
        self.addCleanup(shutil.rmtree, self.work, True)
        with open(os.path.join(self.work, "prog.c"), "w") as f:
            f.write(PROGRAM)

    def path(self, *parts):
        return os.path.join(self.prefix, *parts)

    def sh(self, command, env=None):
        proc = subprocess.run(["/bin/sh", "-c", command], cwd=self.work, env=env or self.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        out = proc.stdout.decode(errors="replace")
        err = proc.stderr.decode(errors="replace")
        self.assertEqual(proc.returncode, 0, "%s\n%s%s" % (command, out, err))
        self.assertIsNone(sanitizer_report(err), err)
        return out

    def sanitize_flags(self):
        return " -fsanitize=address,undefined" if ARGS.sanitize else ""

    def test_installed_files(self):
        for rel in ("lib/librespite.a", "lib/librespite.so", "lib/pkgconfig/respite.pc",
                    "include/respite/respite.h", "include/respite/respite_server.h",
                    "include/respite/resp.h", "bin/respite-server"):
            self.assertTrue(os.path.exists(self.path(rel)), rel)
        # The .so name link resolves to the real versioned library.
        self.assertTrue(os.path.isfile(os.path.realpath(self.path("lib/librespite.so"))))

    def test_pkg_config_points_into_the_prefix(self):
        cflags = self.sh("pkg-config --cflags respite").split()
        libs = self.sh("pkg-config --libs respite").split()
        self.assertIn("-lrespite", libs)
        for flag in cflags + libs:
            if flag.startswith(("-I", "-L")):
                self.assertEqual(os.path.commonpath([os.path.realpath(flag[2:]),
                                                     os.path.realpath(self.prefix)]),
                                 os.path.realpath(self.prefix), flag)
        self.assertRegex(self.sh("pkg-config --modversion respite"), r"^\d+\.\d+\.\d+\n$")

    def test_program_links_against_the_shared_library_and_runs(self):
        self.sh("cc -std=c11 -Wall -Wextra -Werror prog.c -o prog "
                "$(pkg-config --cflags --libs respite)" + self.sanitize_flags())
        env = dict(self.env, LD_LIBRARY_PATH=self.path("lib"))
        self.assertEqual(self.sh("./prog", env=env), "installed library works\n")
        needed = self.sh("readelf -d prog")
        self.assertIn("librespite.so", needed)

    def test_program_links_against_the_static_library_and_runs(self):
        # -l:librespite.a picks the archive where -lrespite would pick the .so.
        self.sh("cc -std=c11 -Wall -Wextra -Werror prog.c -o prog_static "
                "$(pkg-config --cflags respite) "
                "$(pkg-config --static --libs respite | sed 's/-lrespite/-l:librespite.a/')"
                + self.sanitize_flags())
        self.assertEqual(self.sh("./prog_static"), "installed library works\n")
        self.assertNotIn("librespite.so", self.sh("readelf -d prog_static"))


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--sanitize", default="OFF")
    ARGS, rest = parser.parse_known_args()
    ARGS.build_dir = os.path.abspath(ARGS.build_dir)
    ARGS.sanitize = ARGS.sanitize.upper() in ("ON", "1", "TRUE", "YES")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
