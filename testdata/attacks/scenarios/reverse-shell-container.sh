# A reverse shell in the container: busybox nc connects to a listener on
# the container's loopback and runs sh with the socket as stdin/stdout
# (dup2 onto fds 0 and 1); the listener sends it id and exit.
podman exec "$CONTAINER" sh -c '{ echo id; echo exit; sleep 1; } | nc -l -p 44445 > /dev/null &
sleep 0.5; nc 127.0.0.1 44445 -e sh; wait'
