#!/usr/bin/env bash
# Measures the recorder's overhead (docs/PERFORMANCE.md, "Recorder").
# Usage (root): record/internal/loadgen/perf.sh [RETRACE_BIN] [RUNS] [getpid|orc|stats...]
# Prints, per workload, the median CPU ns/iteration of RUNS alternating
# baseline and recorded runs and their ratio.
set -euo pipefail
bin=$(realpath "${1:-bin/retrace}")
runs=${2:-5}
shift 2 || shift $#
what=${*:-getpid orc stats}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$(dirname "$0")" && go build -o "$tmp/loadgen" .)
lg="$tmp/loadgen"

cpu_ns() { sed -n 's/.*cpu \([0-9.]*\) ns.*/\1/p'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

measure() { # name, recorder flags, loadgen args...
	local name=$1 flags=$2; shift 2
	: > "$tmp/base"; : > "$tmp/rec"
	for i in $(seq "$runs"); do
		"$lg" "$@" | cpu_ns >> "$tmp/base"
		# shellcheck disable=SC2086
		"$bin" record $flags -o "$tmp/out.scap.zst" -- "$lg" "$@" 2>"$tmp/log" | cpu_ns >> "$tmp/rec"
		tail -n +1 "$tmp/log" | sed "s|^|  [$name run $i] |" >&2
	done
	local b r
	b=$(median < "$tmp/base"); r=$(median < "$tmp/rec")
	printf '%-28s baseline %8.1f ns  recorded %8.1f ns  ratio %.2f\n' "$name" "$b" "$r" "$(echo "$r / $b" | bc -l)"
}

for w in $what; do
	case $w in
	getpid) measure "getpid x5M" "" getpid 5000000 ;;
	orc) measure "open/read/close x200k" "" orc 200000 ;;
	stats) measure "open/read/close, bpf-stats" "--bpf-stats" orc 200000 ;;
	esac
done
