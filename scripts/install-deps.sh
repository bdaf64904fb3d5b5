#!/usr/bin/env bash
# Installs the Debian packages retrace's tests use. Idempotent: only missing
# packages are installed. Needs root (or does nothing but warn).
set -euo pipefail

pkgs=(zstd sysdig minisign tshark clang llvm libbpf-dev bpftool podman runc containerd busybox-static chromium hyperfine)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: not root; missing packages (tests that need them skip): ${missing[*]}" >&2
	exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
install() {
	apt-get update -qq &&
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
# A fresh machine sometimes hits a transient dpkg lock or mirror error: retry once.
install || { sleep 10; install; }
