#!/usr/bin/env bash
# gen-api-proto.sh regenerates the Go code of the Open Inference Protocol
# gRPC service (api/v2/grpc_predict_v2.pb.go and grpc_predict_v2_grpc.pb.go)
# from api/v2/grpc_predict_v2.proto.
#
# Usage:
#   scripts/gen-api-proto.sh           # regenerate the Go code in api/v2
#   scripts/gen-api-proto.sh --check   # regenerate into a temporary directory
#                                      # and fail if the committed code differs
#
# It installs what it needs: protobuf-compiler via apt-get when protoc is
# missing, and the pinned protoc-gen-go and protoc-gen-go-grpc with go install
# (into a cache directory, so that other versions in $GOPATH/bin do not
# matter). The output is deterministic, so --check is what CI runs.
set -euo pipefail

PROTOC_GEN_GO_VERSION=v1.36.12     # keep in step with google.golang.org/protobuf in go.mod
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2  # generated code needs google.golang.org/grpc >= v1.64
PROTOC_VERSION="libprotoc 3.21.12" # Debian 12 protobuf-compiler; recorded in the generated header

root=$(cd "$(dirname "$0")/.." && pwd)
src=$root/api/v2
files=(grpc_predict_v2.pb.go grpc_predict_v2_grpc.pb.go)

check=false
case ${1:-} in
--check) check=true ;;
"") ;;
*) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

if ! command -v protoc >/dev/null 2>&1; then
	# shellcheck source=scripts/lib/apt.sh
	. "$root/scripts/lib/apt.sh"
	apt_install protobuf-compiler
fi
if [[ $(protoc --version) != "$PROTOC_VERSION" ]]; then
	echo "gen-api-proto: warning: $(protoc --version) differs from $PROTOC_VERSION; the generated header will differ" >&2
fi

# The plugins live in a versioned directory of the Go build cache.
bin=$(go env GOCACHE)/inferd-protoc-plugins/go-$PROTOC_GEN_GO_VERSION-grpc-$PROTOC_GEN_GO_GRPC_VERSION
if [[ ! -x $bin/protoc-gen-go || ! -x $bin/protoc-gen-go-grpc ]]; then
	echo "gen-api-proto: installing protoc-gen-go $PROTOC_GEN_GO_VERSION and protoc-gen-go-grpc $PROTOC_GEN_GO_GRPC_VERSION" >&2
	mkdir -p "$bin"
	GOBIN=$bin GOFLAGS='' go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
	GOBIN=$bin GOFLAGS='' go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"
fi

out=$src
if $check; then
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi

protoc \
	--plugin=protoc-gen-go="$bin/protoc-gen-go" \
	--plugin=protoc-gen-go-grpc="$bin/protoc-gen-go-grpc" \
	--proto_path="$src" \
	--go_out="$out" --go_opt=paths=source_relative \
	--go-grpc_out="$out" --go-grpc_opt=paths=source_relative \
	grpc_predict_v2.proto

if $check; then
	stale=0
	for f in "${files[@]}"; do
		if ! diff -u "$src/$f" "$out/$f"; then
			stale=1
		fi
	done
	if [[ $stale -ne 0 ]]; then
		echo "gen-api-proto: api/v2 generated code is stale; run scripts/gen-api-proto.sh and commit the result" >&2
		exit 1
	fi
	echo "gen-api-proto: api/v2 generated code is up to date" >&2
fi
