#!/bin/sh
# `make test`: host unit tests (C and Python), then every boot case of tests/system/boot.list.
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
exec python3 "$root/tools/runner.py" --unit "$root/build/unit/unit_tests" --pyunit \
    --cases "$root/tests/system/boot.list" "$@"
