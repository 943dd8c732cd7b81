#!/usr/bin/env bash
# gen-onnx-proto.sh regenerates onnx/internal/onnxpb/*.pb.go from the ONNX
# protobuf definitions committed next to them (onnx-ml.proto and
# onnx-data.proto, ONNX 1.12, Apache-2.0).
#
# Usage:
#   scripts/gen-onnx-proto.sh            # regenerate the Go code
#   scripts/gen-onnx-proto.sh --import   # first re-copy the .proto files from
#                                        # the Debian python3-onnx package
#
# It installs what it needs (protobuf-compiler via apt-get when protoc is
# missing, protoc-gen-go via go install) and is idempotent: running it twice
# leaves the tree unchanged, so CI can check staleness with
#   scripts/gen-onnx-proto.sh && git diff --exit-code onnx/internal/onnxpb
set -euo pipefail

PROTOC_GEN_GO_VERSION=v1.36.12 # keep in step with google.golang.org/protobuf in go.mod
PROTOC_VERSION="libprotoc 3.21.12" # Debian 12 protobuf-compiler; recorded in the generated header
GO_PACKAGE=github.com/inferd/inferd/onnx/internal/onnxpb
ONNX_PROTO_SRC=${ONNX_PROTO_SRC:-/usr/lib/python3/dist-packages/onnx}

root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/onnx/internal/onnxpb

# import_proto copies one upstream .proto file, adding the go_package option
# after the package line and making imports relative to this directory.
import_proto() {
	local name=$1
	local src=$ONNX_PROTO_SRC/$name
	[[ -f $src ]] || { echo "gen-onnx-proto: $src not found (apt-get install python3-onnx)" >&2; exit 1; }
	sed -e "s|^package onnx;|package onnx;\n\n// Added by scripts/gen-onnx-proto.sh, which also makes imports relative;\n// otherwise a verbatim copy of ONNX 1.12.\noption go_package = \"$GO_PACKAGE\";|" \
		-e 's|^import "onnx/\(.*\)";|import "\1";|' \
		"$src" >"$out/$name"
}

if [[ ${1:-} == --import ]]; then
	import_proto onnx-ml.proto
	import_proto onnx-data.proto
fi

if ! command -v protoc >/dev/null 2>&1; then
	# shellcheck source=scripts/lib/apt.sh
	. "$root/scripts/lib/apt.sh"
	apt_install protobuf-compiler
fi
if [[ $(protoc --version) != "$PROTOC_VERSION" ]]; then
	echo "gen-onnx-proto: warning: $(protoc --version) differs from $PROTOC_VERSION; the generated header will differ" >&2
fi

gobin=$(go env GOPATH)/bin
if [[ ! -x $gobin/protoc-gen-go ]] || [[ $("$gobin/protoc-gen-go" --version) != "protoc-gen-go $PROTOC_GEN_GO_VERSION" ]]; then
	echo "gen-onnx-proto: installing protoc-gen-go $PROTOC_GEN_GO_VERSION" >&2
	go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
fi

protoc \
	--plugin=protoc-gen-go="$gobin/protoc-gen-go" \
	--proto_path="$out" \
	--go_out="$out" \
	--go_opt=paths=source_relative \
	onnx-ml.proto onnx-data.proto
