# A package install on the host: a tiny .deb (one script in /usr/bin) is
# built with dpkg-deb, installed with dpkg -i, run, and removed with dpkg -r.
set -e
work=/tmp/retrace-benign-deb
trap 'dpkg -r retrace-benign-hello > /dev/null 2>&1 || true; rm -rf "$work"' EXIT
rm -rf "$work"
mkdir -p "$work/pkg/DEBIAN" "$work/pkg/usr/bin"
printf 'Package: retrace-benign-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: retrace <retrace@example.invalid>\nDescription: benign test package of retrace\n' > "$work/pkg/DEBIAN/control"
printf '#!/bin/sh\necho hello\n' > "$work/pkg/usr/bin/retrace-benign-hello"
chmod 755 "$work/pkg/usr/bin/retrace-benign-hello"
dpkg-deb --root-owner-group --build "$work/pkg" "$work/hello.deb" > /dev/null
dpkg -i "$work/hello.deb" > /dev/null
retrace-benign-hello > /dev/null
dpkg -r retrace-benign-hello > /dev/null
