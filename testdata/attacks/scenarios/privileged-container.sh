# A privileged container is started (podman run --privileged) and runs id.
podman --runtime runc run --rm --privileged --name retrace-privileged \
	--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
	localhost/retrace-busybox:test /bin/id > /dev/null
