# A shell with a terminal inside a container (podman exec -it).
script -qc "podman exec -it $CONTAINER sh -c 'id; ls /; tty'" /dev/null
