# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Sourced by start.sh and test.sh: ensure_packages PKG... installs, on Debian 12, those of
# the given packages that are not installed yet (apt-get, through sudo when not root).
# Nothing is installed when everything is already there, so it needs no network then.

ensure_packages() {
    local missing=() pkg status
    for pkg in "$@"; do
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
        if [[ "$status" != "install ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if ! command -v sudo >/dev/null; then
            echo "missing packages: ${missing[*]}; run as root or install sudo" >&2
            return 1
        fi
        sudo=(sudo)
    fi
    echo "installing: ${missing[*]}" >&2
    # redis-server's package may start a service on 6379 where systemd runs; it is left
    # alone: the tests start their own servers on free ports, never on 6379.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# shellcheck disable=SC2034  # used by the scripts that source this file
BUILD_PACKAGES=(build-essential cmake pkg-config libuv1-dev libxxhash-dev liblzf-dev libjemalloc-dev
                liblua5.1-0-dev lua-cjson-dev lua-bitop-dev)
# shellcheck disable=SC2034
TEST_PACKAGES=("${BUILD_PACKAGES[@]}" libcriterion-dev redis-server redis-tools python3-redis
               clang libclang-rt-14-dev tmux)
