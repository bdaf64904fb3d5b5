#!/usr/bin/env bash
# make demo: runs retrace's main job on a built-in example.
set -euo pipefail
BIN=${1:-bin/retrace}
"$BIN" version
