# Host persistence, credential-access and privilege steps, each on fake files
# created for the recording and removed after: a directory made below /bin
# (then removed), a fake shell history under a temporary HOME appended to then
# emptied with `: >` (O_TRUNC), a comment-only file written to /etc/sudoers.d,
# a temporary HOME's ~/.ssh/authorized_keys written, a comment-only file written
# to /etc/cron.d, and `grep -r` for private keys in the temporary directory.
# A small static C helper (compiled here) then switches to root with setuid(0)
# from a setuid-root copy run as nobody, and attaches to a sleep with
# PTRACE_ATTACH; python3 runs busybox from a memfd (memfd_create + execve of
# /proc/self/fd/N); the helper joins
# its own network namespace with setns (nsenter would not do: it is a
# container runtime tool the rule excuses); bash connects to
# a busybox nc listener on the host's non-loopback address with /dev/tcp.
set -u
umask 022
t=/tmp/retrace-persist.$$
mkdir "$t"
made_sudoers_d=
[ -d /etc/sudoers.d ] || { mkdir -m 750 /etc/sudoers.d && made_sudoers_d=1; }
cleanup() {
	rm -rf "$t" /etc/sudoers.d/retrace-attack-fake /etc/cron.d/retrace-attack-fake
	rmdir /bin/retrace-attack-dir 2>/dev/null
	[ -z "$made_sudoers_d" ] || rmdir /etc/sudoers.d
}
trap cleanup EXIT

mkdir /bin/retrace-attack-dir
rmdir /bin/retrace-attack-dir

mkdir -p "$t/home/.ssh"
echo 'cat /etc/shadow' >> "$t/home/.bash_history"
: > "$t/home/.bash_history"

echo '# retrace attack recording: fake entry, removed at once' > /etc/sudoers.d/retrace-attack-fake
rm -f /etc/sudoers.d/retrace-attack-fake

echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE attacker' >> "$t/home/.ssh/authorized_keys"

echo '# retrace attack recording: fake entry, removed at once' > /etc/cron.d/retrace-attack-fake
rm -f /etc/cron.d/retrace-attack-fake

echo '-----BEGIN RSA PRIVATE KEY----- fake' > "$t/home/key.txt"
grep -rl 'BEGIN RSA PRIVATE KEY' "$t" > /dev/null

cat > "$t/h.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
int main(int argc, char **argv) {
	if (argc > 1 && !strcmp(argv[1], "setuid")) {
		if (setuid(0)) { perror("setuid"); return 1; }
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "ptrace")) {
		pid_t p = atoi(argv[2]);
		if (ptrace(PTRACE_ATTACH, p, 0, 0)) { perror("ptrace"); return 1; }
		waitpid(p, 0, 0);
		ptrace(PTRACE_DETACH, p, 0, 0);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "setns")) {
		int fd = open(argv[2], O_RDONLY);
		if (fd < 0 || setns(fd, 0)) { perror("setns"); return 1; }
		return 0;
	}
	return 2;
}
EOF
cc -O1 -o "$t/escalate" "$t/h.c"
cp "$t/escalate" "$t/inject"
cp "$t/escalate" "$t/joinns"
chmod 4755 "$t/escalate"
setpriv --reuid=65534 --regid=65534 --clear-groups "$t/escalate" setuid

sleep 30 &
victim=$!
"$t/inject" ptrace "$victim"
kill "$victim"
wait "$victim" 2>/dev/null

/usr/bin/python3 -c '
import os
fd = os.memfd_create("payload", 0)
with open("/bin/busybox", "rb") as f:
    os.write(fd, f.read())
os.execve("/proc/self/fd/%d" % fd, ["true"], {})
'

"$t/joinns" setns /proc/self/ns/net

ip=$(hostname -I | awk '{print $1}')
busybox nc -l -p 44447 > /dev/null &
listener=$!
sleep 0.3
bash -c "exec 3<>/dev/tcp/$ip/44447; exec 3>&-"
wait "$listener" 2>/dev/null
