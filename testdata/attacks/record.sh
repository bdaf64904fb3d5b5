#!/usr/bin/env bash
# Re-records the attack scenarios of testdata/attacks: each
# scenarios/NAME.sh runs under `retrace record` and becomes NAME.scap.zst.
# Needs root, BPF, podman and busybox-static. Usage: record.sh [RETRACE_BIN] [NAME...]
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-bin/retrace}")
shift || true
[ "$(id -u)" = 0 ] || { echo "record.sh: needs root" >&2; exit 1; }

image=localhost/retrace-busybox:test
export CONTAINER=retrace-attack
if ! podman image exists "$image"; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	mkdir -p "$work/root/bin" "$work/root/etc" "$work/root/tmp" "$work/root/root"
	cp /bin/busybox "$work/root/bin/busybox"
	for a in sh cat ls echo sleep id nc cp chmod rm wget mkdir tty true ps; do ln -s busybox "$work/root/bin/$a"; done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$work/root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$work/root/etc/group"
	printf 'root:$6$retrace$notarealhash:19000:0:99999:7:::\n' > "$work/root/etc/shadow"
	chmod 600 "$work/root/etc/shadow"
	tar -C "$work/root" -cf "$work/root.tar" .
	podman import "$work/root.tar" "$image" >/dev/null
fi
podman rm -f -t 0 "$CONTAINER" >/dev/null 2>&1 || true
podman --runtime runc run -d --name "$CONTAINER" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
	"$image" /bin/sleep 3600 >/dev/null
cleanup() { podman rm -f -t 0 "$CONTAINER" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# SCENARIO_DIR records the scenarios of another directory (as
# testdata/incident/record.sh does), each capture beside its scenario.
scenarios=${SCENARIO_DIR:-$dir/scenarios}
out=${SCENARIO_DIR:-$dir}
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in "$scenarios"/*.sh; do names+=("$(basename "$f" .sh)"); done
fi
for name in "${names[@]}"; do
	echo "== $name"
	# A scenario may ask for I/O data with a "# snaplen: N" line; the others
	# record none.
	snaplen=$(sed -n 's/^# snaplen: \([0-9]*\)$/\1/p' "$scenarios/$name.sh")
	# A "# record: FLAGS" line adds recorder flags (escape-container's
	# insmod needs the raw syscall hooks on a kernel without modules, where
	# init_module has no tracepoint: --all-syscalls).
	read -r -a extra <<<"$(sed -n 's/^# record: \(.*\)$/\1/p' "$scenarios/$name.sh")"
	# Run from the repository's top directory with a relative path, so
	# that command lines do not depend on where the repository is checked out.
	(cd "$dir/../.." && "$bin" record --force --no-env --snaplen "${snaplen:-0}" --only-command ${extra[@]+"${extra[@]}"} \
		-o "$out/$name.scap.zst" -- bash "$(realpath --relative-to=. "$scenarios/$name.sh")" </dev/null)
done
