# A process on the host reads /etc/shadow.
cat /etc/shadow > /dev/null
