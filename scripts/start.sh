#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install what is missing (Debian 12), build respite in Release mode in build/, and run
# respite-server in the foreground on 127.0.0.1:6379 (its defaults), in memory. Arguments
# go to the server as they are: `scripts/start.sh --port 7000 --maxclients 50`, or a
# config file first, as with redis-server: `scripts/start.sh respite.conf --loglevel debug`.
set -euo pipefail
# Stay in the caller's directory: a config file argument may be a relative path.
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/packages.sh"

ensure_packages "${BUILD_PACKAGES[@]}"
# Every option is given so that a build/ configured earlier for debugging (sanitizers,
# tests) becomes a plain Release build again.
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DRS_SANITIZE=OFF -DRS_WERROR=OFF \
      -DRS_TESTS=OFF -DRS_FUZZ=OFF
cmake --build "$root/build" -j"$(nproc)" --target respite-server
# A redis-server service (Debian's package starts one where systemd runs) may hold 6379.
if [[ " $* " != *" --port "* && ($# -eq 0 || $1 == --*) ]] &&
    (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    echo "127.0.0.1:6379 is already in use (a redis-server service?): stop it" \
         "(sudo systemctl stop redis-server) or pass --port N" >&2
    exit 1
fi
exec "$root/build/respite-server" "$@"
