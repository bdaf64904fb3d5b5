# Package managers run in the container: busybox's rpm and dpkg applets,
# started through symlinks so their process names are rpm and dpkg.
podman exec "$CONTAINER" sh -c 'busybox ln -s /bin/busybox /tmp/rpm && busybox ln -s /bin/busybox /tmp/dpkg &&
/tmp/rpm -qa; /tmp/dpkg -l; rm -f /tmp/rpm /tmp/dpkg' > /dev/null 2>&1 || true
