# A log file below /var/log (a fake one the scenario creates) is emptied by
# a shell redirection (open with O_TRUNC), by truncate, then shredded.
f=/var/log/retrace-attack.log
trap 'rm -f "$f"' EXIT
echo 'Nov 22 20:00:00 host sshd[1]: Accepted password for root' > "$f"
: > "$f"
truncate -s 0 "$f"
shred -u "$f"
