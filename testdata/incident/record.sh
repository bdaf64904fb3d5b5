#!/usr/bin/env bash
# Re-records incident.scap.zst from incident.sh (the keys files are what the
# login shell and the container shell are typed). Needs what
# ../attacks/record.sh needs: root, BPF, podman, busybox-static, script.
# Usage: record.sh [RETRACE_BIN]
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
SCENARIO_DIR=$dir exec "$dir/../attacks/record.sh" "${1:-bin/retrace}" incident
