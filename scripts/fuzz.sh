#!/usr/bin/env bash
# fuzz.sh: runs every Go fuzz target of the repository (func FuzzXxx in a
# _test.go file) for a bounded time each, so that the decoders of hostile
# input (ONNX files, v2 JSON and binary, TF Serving JSON, multipart
# bodies, images, PNG, config.yaml, JSON tensors) are fuzzed on every run.
#
# Usage: scripts/fuzz.sh [--time 8s]
# New inputs that crash are written to the package's testdata/fuzz by the
# Go toolchain: commit them as regression seeds.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=8s
while [ $# -gt 0 ]; do
	case "$1" in
	--time) fuzztime=${2:?--time wants a duration}; shift ;;
	*) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

mapfile -t targets < <(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./.cache/' | sort |
	while read -r f; do
		grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //' | while read -r fn; do
			echo "./$(dirname "${f#./}") $fn"
		done
	done)
[ "${#targets[@]}" -gt 0 ] || { echo "fuzz.sh: no fuzz targets found" >&2; exit 1; }
for t in "${targets[@]}"; do
	read -r pkg fn <<<"$t"
	echo "fuzz.sh: $fn in $pkg for $fuzztime"
	go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$fuzztime" "$pkg" 2>&1 | tail -n 3
done
echo "fuzz.sh: ${#targets[@]} targets, $fuzztime each, no crash"
