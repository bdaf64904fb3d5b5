# snaplen: 256
# Recorded by record.sh beside it (with a snaplen, so that the io view has
# the reverse shell's data). An incident as an analyst meets it: user 1000 logs in (pam_loginuid sets
# the loginuid; here written directly) and, from that login shell on a
# terminal (script), opens an interactive shell in a container with
# `podman exec -it`, reads /etc/shadow, drops a binary and runs it, starts an
# `nc -e sh` reverse shell whose listener sends it commands, and leaves a
# cron file on the host; ordinary host commands run around it.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
ls / > /dev/null
hostname > /dev/null
KEYS_DIR=$dir bash -c 'echo 1000 > /proc/self/loginuid; exec script -qfc "bash --norc --noprofile -i" /dev/null' < "$dir/incident.keys"
date > /dev/null
rm -f /etc/cron.d/retrace-incident
sleep 0.5
