# A process in a container reads /etc/shadow.
podman exec "$CONTAINER" cat /etc/shadow > /dev/null
