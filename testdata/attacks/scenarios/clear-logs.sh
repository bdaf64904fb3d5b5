# A log file below /var/log (a fake one the scenario creates by appending,
# so without O_TRUNC) is emptied by a shell redirection (open with
# O_TRUNC), then by truncate (ftruncate, no O_TRUNC), then shredded.
f=/var/log/retrace-attack.log
trap 'rm -f "$f"' EXIT
echo 'Nov 22 20:00:00 host sshd[1]: Accepted password for root' >> "$f"
: > "$f"
truncate -s 0 "$f"
shred -u "$f"
