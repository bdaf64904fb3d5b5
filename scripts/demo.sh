#!/usr/bin/env bash
# make demo: runs retrace's main job on the built-in example — the attack
# traces recorded with `retrace record` under testdata/attacks — with the
# built-in rules: a timeline table on stdout, then a self-contained HTML report.
# Needs no root, no network and no ../shared.
set -euo pipefail
BIN=$(realpath "${1:-bin/retrace}")
cd "$(dirname "$0")/.."
TRACES=testdata/attacks
OUT=${DEMO_OUT:-bin/demo-report.html}
mkdir -p "$(dirname "$OUT")"

"$BIN" version
echo
echo "== retrace info $TRACES/reverse-shell.scap.zst"
"$BIN" info "$TRACES/reverse-shell.scap.zst" | sed -n 1,12p
echo
echo "== retrace replay $TRACES -o table   (built-in rules)"
"$BIN" replay --quiet -o table "$TRACES"
echo
echo "== retrace replay $TRACES -o html --out $OUT"
"$BIN" replay --quiet -o html --out "$OUT" "$TRACES"
echo "HTML report: $(realpath "$OUT")"
