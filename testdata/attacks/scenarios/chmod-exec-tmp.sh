# An executable is dropped in /tmp on the host (a copy of busybox, named id
# so that it runs its id applet), made executable with chmod +x and run.
d=/tmp/retrace-dropped
trap 'rm -rf "$d"' EXIT
mkdir -p "$d"
cat /bin/busybox > "$d/id"
chmod +x "$d/id"
"$d/id" > /dev/null
