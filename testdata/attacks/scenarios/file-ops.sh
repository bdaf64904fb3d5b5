#!/usr/bin/env bash
# File operations on the host below /tmp/retrace-fileops: renames (busybox
# mv -> rename, coreutils mv -> renameat2), hard links (busybox ln -> link,
# coreutils ln -> linkat), symlinks (busybox ln -s -> symlink, coreutils
# ln -s -> symlinkat, one of them to /etc/shadow), and a copy of busybox
# written and made executable just before it runs (so its inode changed
# shortly before the process started).
set -euo pipefail
d=/tmp/retrace-fileops
rm -rf "$d"
trap 'rm -rf "$d"' EXIT
mkdir -p "$d"
echo data > "$d/a"
busybox mv "$d/a" "$d/b"
mv "$d/b" "$d/c"
busybox ln "$d/c" "$d/hard1"
ln "$d/c" "$d/hard2"
busybox ln -s "$d/c" "$d/sym1"
ln -s /etc/shadow "$d/shadow-link"
cat /bin/busybox > "$d/true"
chmod +x "$d/true"
"$d/true"
