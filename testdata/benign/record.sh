#!/usr/bin/env bash
# Re-records the benign scenarios of testdata/benign: each
# scenarios/NAME.sh runs on the host under `retrace record` and becomes
# NAME.scap.zst. Needs root, BPF, dpkg-deb, cc and su.
# Usage: record.sh [RETRACE_BIN] [NAME...]
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-bin/retrace}")
shift || true
[ "$(id -u)" = 0 ] || { echo "record.sh: needs root" >&2; exit 1; }

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in "$dir"/scenarios/*.sh; do names+=("$(basename "$f" .sh)"); done
fi
for name in "${names[@]}"; do
	echo "== $name"
	# Run from the repository's top directory with a relative path, so
	# that command lines do not depend on where the repository is checked out.
	(cd "$dir/../.." && "$bin" record --force --no-env --snaplen 0 --only-command \
		-o "$dir/$name.scap.zst" -- bash "testdata/benign/scenarios/$name.sh" </dev/null)
done
