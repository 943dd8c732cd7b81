#!/usr/bin/env bash
# image-test.sh builds the container image of the example repository with
# `inferd image build` (no container daemon), checks that two builds give
# the same digest, then runs the image for real in podman: it loads it,
# starts it, classifies a sample image through it, runs its health check and
# stops it (imagebuild's TestPodman); then brings deploy/docker-compose.yml
# up with Debian's podman-compose, classifies through it, runs its health
# check and takes it down. Images and containers it makes are removed at
# the end.
#
# It installs what it needs: podman, runc and podman-compose via apt-get when
# missing (on these machines podman needs runc: crun fails on the host's
# cgroup layout). The test skips, saying why, only where podman cannot start
# containers at all.
#
# Usage:
#   scripts/image-test.sh                  # what CI runs
#   scripts/image-test.sh --containerfile  # also build deploy/Containerfile with
#                                          # podman and run the same test on it
#                                          # (slower: about a minute and 1 GB)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v go >/dev/null || { echo "image-test: Go is required" >&2; exit 1; }

containerfile=false
case ${1:-} in
--containerfile) containerfile=true ;;
"") ;;
*) echo "usage: $0 [--containerfile]" >&2; exit 2 ;;
esac

# shellcheck source=scripts/lib/apt.sh
. scripts/lib/apt.sh
# With recommends, as podman is usually installed (slirp4netns, uidmap, ...).
apt_install --with-recommends podman runc
apt_install podman-compose

tmp=$(mktemp -d)
tag=localhost/inferd-examples:image-test-$$
images=("$tag")
cleanup() {
	podman rmi -f "${images[@]}" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

# compose_up IMAGE brings the inferd service of deploy/docker-compose.yml up
# with Debian's podman-compose, on free loopback ports instead of 8080 and
# 8081, checks that it classifies a digit and that the image's health check
# reports healthy, and takes it down; every step is bounded in time. The
# containers need runc and higher limits here, as in TestPodman, but not
# the host network: podman-compose 1.0 always joins the project's network,
# which host mode refuses, and that bridge network works.
compose_up() {
	local image=$1 project=inferd-image-test-$$ port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	local compose=(timeout 120 env INFERD_IMAGE="$image" INFERD_HTTP_PORT="$port" INFERD_GRPC_PORT="$((port + 1))"
		podman-compose -p "$project" -f deploy/docker-compose.yml --podman-args "--runtime runc"
		--podman-run-args "--health-interval disable --ulimit nofile=20000:20000 --ulimit nproc=4096:4096")
	compose_down() {
		"${compose[@]}" down -t 30 >/dev/null 2>&1 || true
		podman network rm -f "${project}_default" >/dev/null 2>&1 || true
	}
	trap 'compose_down; cleanup' EXIT
	"${compose[@]}" up -d --no-build inferd
	local i
	for i in $(seq 1 120); do
		curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
		if [ "$i" -eq 120 ]; then
			podman logs "${project}_inferd_1" >&2 || true
			echo "image-test: the compose service was not ready within 60 s" >&2
			return 1
		fi
		sleep 0.5
	done
	local answer health
	answer=$(curl -fsS --max-time 10 --data-binary @examples/digits/images/7_0.png -H 'Content-Type: image/png' "http://127.0.0.1:$port/models/digits/v1")
	echo "classified examples/digits/images/7_0.png: $answer"
	grep -q '"predictions":\[{"label":"7"' <<<"$answer" || { echo "image-test: want 7 first" >&2; return 1; }
	# The image's HEALTHCHECK, run on demand (its timer needs systemd).
	timeout 30 podman healthcheck run "${project}_inferd_1"
	health=$(podman inspect --format '{{.State.Health.Status}}' "${project}_inferd_1")
	echo "health: $health"
	[ "$health" = healthy ] || { echo "image-test: want healthy" >&2; return 1; }
	compose_down
	trap cleanup EXIT
}

step "go build ./cmd/inferd"
go build -o "$tmp/inferd" ./cmd/inferd

step "inferd image build (docker tarball of examples/models)"
start=$(date +%s%N)
"$tmp/inferd" image build --repository examples/models --tag "$tag" --format docker --output "$tmp/examples.tar"
echo "build time: $((($(date +%s%N) - start) / 1000000)) ms (including the go build of inferd for linux/amd64)"
ls -l "$tmp/examples.tar"

step "inferd image build twice (OCI layouts): same digest"
d1=$("$tmp/inferd" image build --repository examples/models --tag "$tag" --output "$tmp/oci1" 2>/dev/null | awk '/^digest:/ {print $2}')
d2=$("$tmp/inferd" image build --repository examples/models --tag "$tag" --output "$tmp/oci2" 2>/dev/null | awk '/^digest:/ {print $2}')
echo "first:  $d1"
echo "second: $d2"
if [[ -z $d1 || $d1 != "$d2" ]]; then
	echo "image-test: the two builds gave different digests" >&2
	exit 1
fi

step "podman: run the image and classify through it"
INFERD_TEST_PODMAN=1 INFERD_TEST_PODMAN_ARCHIVE="$tmp/examples.tar" \
	go test -count=1 -run '^TestPodman$' -v ./imagebuild

step "podman-compose: deploy/docker-compose.yml serves a model and reports healthy"
podman load -q -i "$tmp/examples.tar" >/dev/null
compose_up "$tag"

if $containerfile; then
	# No registry here, so the build stage's golang image is replaced by one
	# made from this machine's Go toolchain and a shell.
	step "podman build -f deploy/Containerfile"
	goroot=$(go env GOROOT)
	fs=$tmp/golang-rootfs
	mkdir -p "$fs"/{bin,lib64,etc/ssl/certs,tmp,usr/local} && chmod 1777 "$fs/tmp"
	cp /bin/dash "$fs/bin/sh"
	cp /bin/mkdir /bin/chmod /bin/chown "$fs/bin/"
	for lib in $(ldd /bin/dash /bin/mkdir /bin/chmod /bin/chown | awk '$3 ~ /^\// {print $3}' | sort -u); do
		mkdir -p "$fs$(dirname "$lib")" && cp "$lib" "$fs$lib"
	done
	cp /lib64/ld-linux-x86-64.so.2 "$fs/lib64/"
	cp /etc/ssl/certs/ca-certificates.crt "$fs/etc/ssl/certs/"
	cp -a "$goroot" "$fs/usr/local/go"
	golang=localhost/inferd-image-test-golang:$$
	images+=("$golang")
	tar -C "$fs" -cf - . | podman import --change 'ENV PATH=/usr/local/go/bin:/bin' \
		--change 'ENV GOPATH=/go' --change 'ENV GOTOOLCHAIN=local' - "$golang" >/dev/null
	built=localhost/inferd-containerfile:image-test-$$
	images+=("$built")
	# --format docker keeps the HEALTHCHECK, which OCI configs cannot hold.
	podman build --runtime runc --network=host --pull=never --format docker --layers=false \
		--ignorefile deploy/Containerfile.dockerignore --build-arg GO_IMAGE="$golang" \
		-f deploy/Containerfile -t "$built" .
	INFERD_TEST_PODMAN=1 INFERD_TEST_PODMAN_IMAGE="$built" \
		go test -count=1 -run '^TestPodman$' -v ./imagebuild
fi
