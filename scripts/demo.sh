#!/usr/bin/env bash
# make demo: runs retrace's main job on a built-in example.
# For now: describe the bundled example capture (testdata/demo/demo.scap.zst,
# made by capture/capgen), convert it to a plain .scap and describe that.
set -euo pipefail
BIN=$(realpath "${1:-bin/retrace}")
cd "$(dirname "$0")/.."
DEMO=testdata/demo/demo.scap.zst
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$BIN" version
echo
echo "== retrace info $DEMO"
"$BIN" info "$DEMO"
echo
echo "== retrace convert $DEMO -o demo.scap"
"$BIN" convert "$DEMO" -o "$tmp/demo.scap"
"$BIN" info "$tmp/demo.scap" | sed -n 1,8p
if command -v sysdig >/dev/null; then
	echo
	echo "== sysdig -r demo.scap (first events)"
	sysdig -r "$tmp/demo.scap" | sed -n 1,5p
fi
