#!/usr/bin/env bash
# image-test.sh builds the container image of the example repository with
# `inferd image build` (no container daemon), checks that two builds give
# the same digest, then runs the image for real in podman: it loads it,
# starts it, classifies a sample image through it, runs its health check and
# stops it (imagebuild's TestPodman). Images and containers it makes are
# removed at the end.
#
# It installs what it needs: podman and runc via apt-get when podman is
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

tmp=$(mktemp -d)
tag=localhost/inferd-examples:image-test-$$
images=("$tag")
cleanup() {
	podman rmi -f "${images[@]}" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

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
