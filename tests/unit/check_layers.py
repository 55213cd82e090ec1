#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The layers of README's Layout, checked on the #include "..." lines of
proto/, store/ and server/: an include may point down or within a layer,
never up, and a data structure of store/ds/ includes no other one but the
base every one may use. Prints each offending file and include, exits 1 if
there is any. Usage: check_layers.py [source root]."""
import os
import re
import sys

# Layers, bottom first. A file's layer is that of the first prefix its path
# (from the root) matches.
LAYERS = [
    ("proto", ["proto/"]),
    ("ds", ["store/ds/"]),
    ("keyspace", ["store/keyspace/"]),
    ("commands", ["store/commands/"]),
    ("engine", ["store/"]),
    ("server", ["server/"]),
]
RANK = {name: i for i, (name, _) in enumerate(LAYERS)}

# The public API's types: the store's state holds the embedder's clock and
# transport callbacks, so every store layer may include it. It declares the
# engine's functions too; no layer below the engine calls them.
PUBLIC = {"store/respite.h"}
# What server/ may know of the store: its two public headers.
SERVER_SEES = {"store/respite.h", "server/respite_server.h"}
# The base of store/ds/, which every data structure may include; the others
# know nothing of each other.
DS_BASE = {"store/ds/mem.h", "store/ds/util.h", "store/ds/entry.h"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    for name, prefixes in LAYERS:
        if any(path.startswith(p) for p in prefixes):
            return name
    return None


def resolve(root, src, inc):
    """The path (from root) of the file that `#include "inc"` in src names:
    next to src, then in the include directories (store/, proto/, server/)."""
    for base in (os.path.dirname(src), "store", "proto", "server"):
        cand = os.path.normpath(os.path.join(base, inc))
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def module(path):
    """A ds file's module: table.c and table.h are one."""
    return os.path.splitext(path)[0]


def problems(root):
    out = []
    for top in ("proto", "store", "server"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if not f.endswith((".c", ".h", ".def")):
                    continue
                src = os.path.relpath(os.path.join(dirpath, f), root)
                with open(os.path.join(root, src), encoding="utf-8") as fh:
                    text = fh.read()
                for inc in INCLUDE.findall(text):
                    out += check(root, src, inc)
    return out


def check(root, src, inc):
    target = resolve(root, src, inc)
    where = f'{src}: #include "{inc}"'
    if target is None:
        return [f"{where}: no such file in the source tree"]
    ls, lt = layer_of(src), layer_of(target)
    if ls == "server":
        if lt == "server" or lt == "proto" or target in SERVER_SEES:
            return []
        return [f"{where}: server/ sees the store only through respite.h and respite_server.h"]
    if target in PUBLIC and ls != "proto":
        return []
    if RANK[lt] > RANK[ls]:
        return [f"{where}: {ls} includes {lt}, a layer above it ({target})"]
    if ls == lt == "ds" and module(src) != module(target) and target not in DS_BASE:
        return [f"{where}: one data structure includes another ({target}); ds/ files "
                f"share only {', '.join(sorted(DS_BASE))}"]
    return []


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    found = problems(os.path.abspath(root))
    for p in found:
        print(p)
    if found:
        print(f"{len(found)} include(s) against the layers (README, Layout)")
        return 1
    print("layers: every include points down or within its layer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
