# An executable that is not part of the image is written into a container
# (its overlay upper layer) and run.
podman exec "$CONTAINER" sh -c 'cp /bin/busybox /tmp/dropped && chmod +x /tmp/dropped && /tmp/dropped id'
