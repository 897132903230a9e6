#!/bin/sh
# Headless Chromium for the browser tests, from Debian's packages; idempotent (a no-op when
# installed). Prints the browser's path. Needs root (apt-get), as on CI.
set -eu
for candidate in chromium chromium-browser; do
    if command -v "$candidate" >/dev/null 2>&1; then
        command -v "$candidate"
        exit 0
    fi
done
if [ "$(id -u)" != 0 ]; then
    echo "chromium is not installed and installing it needs root (apt-get install chromium)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium >&2
command -v chromium
