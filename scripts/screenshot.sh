#!/usr/bin/env bash
# Regenerates docs/report.png, the README's picture of the HTML report, from
# the real `make demo` report: the attack recordings under testdata/attacks
# replayed with the built-in rules. Runs `make demo` first unless REPORT
# names an existing report. Needs headless Chromium.
#
#   scripts/screenshot.sh                 # make demo, then screenshot
#   REPORT=bin/demo-report.html scripts/screenshot.sh
#   OUT=/tmp/report.png WIDTH=1400 HEIGHT=1100 scripts/screenshot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPORT=${REPORT:-}
OUT=${OUT:-docs/report.png}
WIDTH=${WIDTH:-1400}
HEIGHT=${HEIGHT:-1100}

browser=""
for b in chromium chromium-browser google-chrome; do
	if command -v "$b" >/dev/null; then
		browser=$b
		break
	fi
done
if [ -z "$browser" ]; then
	echo "screenshot.sh: no chromium, chromium-browser or google-chrome on PATH" >&2
	exit 1
fi

if [ -z "$REPORT" ]; then
	REPORT=bin/demo-report.html
	DEMO_OUT="$REPORT" make demo >/dev/null
fi
if [ ! -s "$REPORT" ]; then
	echo "screenshot.sh: no report at $REPORT" >&2
	exit 1
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
mkdir -p "$(dirname "$OUT")"
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --no-first-run --hide-scrollbars \
	--user-data-dir="$profile" --window-size="$WIDTH,$HEIGHT" \
	--screenshot="$(realpath -m "$OUT")" "file://$(realpath "$REPORT")" >/dev/null 2>&1
if [ ! -s "$OUT" ]; then
	echo "screenshot.sh: $browser wrote no screenshot to $OUT" >&2
	exit 1
fi
echo "wrote $OUT (${WIDTH}x${HEIGHT}) from $REPORT"
