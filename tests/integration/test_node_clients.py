# SPDX-License-Identifier: BSD-3-Clause
"""Pub/Sub flows with the Node clients dashboards use: ioredis (RESP2) and node-redis (RESP2
and RESP3), running node/pubsub_flows.js (two web servers broadcasting to each other on a
project's channel, a worker on the pattern `project:42:*`, unsubscribing) against
respite-server.

The clients are installed with npm into RESPITE_NODE_MODULES (default: a directory under
the system's temporary directory, reused across runs) when they are not there yet; without
node or npm, or when the install fails (no network), the tests are skipped, saying so.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ServerTestCase, main  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGES = ("ioredis@5", "redis@5")


def node_modules():
    """The directory holding ioredis and redis, installing them if needed; None if they
    cannot be had."""
    base = os.environ.get("RESPITE_NODE_MODULES") or os.path.join(
        tempfile.gettempdir(), "respite-node-clients")
    mods = os.path.join(base, "node_modules")
    if all(os.path.isdir(os.path.join(mods, p)) for p in ("ioredis", "redis")):
        return mods
    if not shutil.which("node") or not shutil.which("npm"):
        return None
    os.makedirs(base, exist_ok=True)
    try:
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", base,
                        *PACKAGES], check=True, timeout=180, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    except (subprocess.SubprocessError, OSError):
        return None
    return mods


MODULES = node_modules()


@unittest.skipUnless(MODULES, "node, npm or the ioredis/redis packages are not available")
class NodeClients(ServerTestCase):
    def run_flow(self, lib, proto):
        env = dict(os.environ, NODE_PATH=MODULES)
        p = subprocess.run(["node", os.path.join(HERE, "node", "pubsub_flows.js"),
                            str(self.server.port), lib, str(proto)],
                           capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertTrue(p.stdout.startswith("ok "), p.stdout)

    def test_ioredis_resp2(self):
        self.run_flow("ioredis", 2)

    def test_node_redis_resp2(self):
        self.run_flow("node-redis", 2)

    def test_node_redis_resp3(self):
        self.run_flow("node-redis", 3)


if __name__ == "__main__":
    main()
