#!/usr/bin/env bash
# record-workload.sh: record, with `retrace record` (root), the
# exec/open/read-heavy workload of issue 17's acceptance measurement
# (docs/PERFORMANCE.md, "Rules at the cost of parsing"): `find | xargs cat`
# over /usr/share, a few hundred short shells that exec and read, and a
# small Go build. The capture is about 1M events on a Debian 12 host; it is
# not committed (it is tens of MB and holds the host's files' names).
#
#   scripts/record-workload.sh [-b RETRACE_BINARY] [-s SHELLS] OUT.scap.zst
#
# Then `zstd -d OUT.scap.zst` gives the plain .scap that sysdig reads, and
# scripts/bench-rules.sh -f OUT.scap times the rule sets against sysdig.
set -euo pipefail
bin=retrace shells=850
while getopts "b:s:" o; do
	case $o in
	b) bin=$OPTARG ;;
	s) shells=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-b RETRACE] [-s SHELLS] OUT.scap.zst" >&2; exit 2; }
out=$1
[ "$(id -u)" -eq 0 ] || { echo "$0: recording needs root" >&2; exit 4; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The Go build: a fresh module with one file, built with an empty cache so
# the compiler and linker run (exec, open and read of the standard library).
mkdir -p "$work/mod"
printf 'module w\n\ngo 1.21\n' >"$work/mod/go.mod"
printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("w") }\n' >"$work/mod/main.go"
cat >"$work/workload.sh" <<WORKLOAD
set -u
find /usr/share -type f -print0 | xargs -0 cat >/dev/null 2>&1
for i in \$(seq $shells); do
	sh -c 'id >/dev/null; cat /etc/passwd /etc/hostname >/dev/null; ls /usr/bin >/dev/null; grep -q root /etc/group'
done
if command -v go >/dev/null; then
	(cd "$work/mod" && GOCACHE="$work/cache" GOFLAGS=-mod=mod go build -o "$work/w" .)
fi
WORKLOAD
"$bin" record --force --only-command -o "$out" -- bash "$work/workload.sh"
