# A build on the host: cc compiles and links a small C program in /tmp,
# which is then run.
set -e
work=/tmp/retrace-benign-build
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' > "$work/hello.c"
cc -O2 -o "$work/hello" "$work/hello.c"
"$work/hello" > /dev/null
