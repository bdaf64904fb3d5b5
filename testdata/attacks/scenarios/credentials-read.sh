# Non-shell programs read credentials. In the container, a shell creates a
# fake SSH private key and fake AWS credentials under /root; then cp copies
# the key and busybox dd the AWS credentials (each started directly by
# podman exec), and the fakes are removed. On the host, dd reads
# /etc/shadow (--snaplen 0 keeps its content out of the recording).
podman exec "$CONTAINER" sh -c 'mkdir -p /root/.ssh /root/.aws &&
echo "-----BEGIN OPENSSH PRIVATE KEY----- fake" > /root/.ssh/id_rsa &&
printf "[default]\naws_access_key_id = AKIAFAKEFAKEFAKE\n" > /root/.aws/credentials'
podman exec "$CONTAINER" cp /root/.ssh/id_rsa /tmp/k
podman exec "$CONTAINER" busybox dd if=/root/.aws/credentials of=/tmp/c 2>/dev/null
podman exec "$CONTAINER" rm -f /tmp/k /tmp/c /root/.ssh/id_rsa /root/.aws/credentials
podman exec "$CONTAINER" busybox rmdir /root/.ssh /root/.aws
dd if=/etc/shadow of=/dev/null status=none
