# record: --all-syscalls
# Container escape steps. In the running container, a shell with a terminal
# (podman exec -it, under script) runs /bin/id and /bin/ls by path, so the
# shell executes them as programs. Then a privileged container
# (podman run --privileged, with a temporary host directory bind-mounted
# read-only at /x) mounts a tmpfs on /tmp/m and unmounts it, writes its own UTS
# namespace's /proc/sys/kernel/hostname, has busybox insmod try to load a fake
# module file (garbage bytes the kernel rejects), and runs a small static C
# helper (compiled here) that creates namespaces with unshare(CLONE_NEWNS |
# CLONE_NEWUTS) and creates and closes a BPF array map. The temporary
# directory is removed after.
set -u
umask 022
t=/tmp/retrace-escape.$$
mkdir "$t"
trap 'rm -rf "$t"' EXIT

script -qc "podman exec -it $CONTAINER sh -c '/bin/id > /dev/null; /bin/ls / > /dev/null; exit 0'" /dev/null > /dev/null

cat > "$t/escape.c" <<'EOF'
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
int main(void) {
	union bpf_attr a;
	long fd;
	if (unshare(CLONE_NEWNS | CLONE_NEWUTS)) perror("unshare");
	memset(&a, 0, sizeof a);
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	fd = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a);
	if (fd < 0) perror("bpf");
	else close(fd);
	return 0;
}
EOF
cc -static -O1 -o "$t/escape" "$t/escape.c"
head -c 4096 /dev/zero | tr '\0' 'A' > "$t/fake.ko"

podman --runtime runc run --rm --privileged --name retrace-escape \
	--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 -v "$t:/x:ro" \
	localhost/retrace-busybox:test /bin/sh -c '
mkdir /tmp/m
/bin/busybox mount -t tmpfs retrace-tmpfs /tmp/m
/bin/busybox umount /tmp/m
echo retrace-escape > /proc/sys/kernel/hostname
/bin/busybox insmod /x/fake.ko
/x/escape
exit 0' 2>/dev/null
