#!/usr/bin/env bash
# A container carrying the labels a CRI runtime puts on a Kubernetes pod's
# containers (io.kubernetes.pod.name=retrace-pod,
# io.kubernetes.pod.namespace=retrace-ns, io.kubernetes.pod.uid,
# io.kubernetes.container.name), started with podman --runtime runc run
# --rm --name retrace-pod-labels; its shell runs id and ls /. There is no
# Kubernetes cluster: the labels are all the capture has, as for a pod's
# container recorded offline.
set -euo pipefail
podman --runtime runc run --rm --name retrace-pod-labels \
	--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
	--label io.kubernetes.pod.name=retrace-pod \
	--label io.kubernetes.pod.namespace=retrace-ns \
	--label io.kubernetes.pod.uid=0b6a1d9e-5f0c-4f3e-9a57-2f1d3c4b5a69 \
	--label io.kubernetes.container.name=app \
	localhost/retrace-busybox:test /bin/sh -c 'id; ls /' > /dev/null
