#!/usr/bin/env bash
# Builds inferd from this checkout (static, cgo-free) with its version and
# commit compiled in, and installs it where `go install` puts commands:
# $GOBIN, else $(go env GOPATH)/bin (usually ~/go/bin).
#
# Usage:
#   scripts/install.sh             # install inferd (what `make install` runs)
#   scripts/install.sh -o PATH     # only build, to PATH (`make build`: bin/inferd)
#
# The version is `git describe --tags --always --dirty`, the commit and its
# time come from git; `inferd version` prints them. Outside a git checkout
# the version is "dev". (Go stamps the commit by itself in a plain clone, but
# not in a linked git worktree nor with -buildvcs=false; -ldflags always does.)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || { echo "install: Go 1.26 or newer is required (go.dev/dl)" >&2; exit 1; }

output=
case ${1:-} in
-o) output=${2:?usage: $0 [-o PATH]} ;;
"") ;;
*) echo "usage: $0 [-o PATH]" >&2; exit 2 ;;
esac

pkg=github.com/inferd/inferd/internal/cli
version=dev commit= committime=
if git rev-parse --git-dir >/dev/null 2>&1; then
	version=$(git describe --tags --always --dirty)
	commit=$(git rev-parse HEAD)
	committime=$(TZ=UTC git show -s --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ HEAD)
fi
ldflags="-X $pkg.version=$version -X $pkg.commit=$commit -X $pkg.commitTime=$committime"

if [[ -n $output ]]; then
	mkdir -p "$(dirname "$output")"
	CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$output" ./cmd/inferd
	echo "built $output ($version)"
	exit 0
fi

CGO_ENABLED=0 go install -trimpath -ldflags "$ldflags" ./cmd/inferd
bindir=$(go env GOBIN)
[[ -n $bindir ]] || bindir=$(go env GOPATH)/bin
echo "installed $bindir/inferd ($version)"
case ":$PATH:" in
*":$bindir:"*) ;;
*) echo "note: $bindir is not on your PATH; add it, e.g. in ~/.bashrc or ~/.profile:"
   echo "  export PATH=\"\$PATH:$bindir\"" ;;
esac
