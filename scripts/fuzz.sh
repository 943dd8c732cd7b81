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
flakes=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "${targets[@]}"; do
	read -r pkg fn <<<"$t"
	echo "fuzz.sh: $fn in $pkg for $fuzztime"
	if go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then
		tail -n 3 "$log"
		continue
	fi
	# Go 1.26's fuzzing coordinator can fail a target with a bare "context
	# deadline exceeded" when -fuzztime ends while a worker is mid-call
	# (golang/go#75804, fixed in Go 1.27): no input failed and none was
	# written. Anything else, or any written input, is a real failure.
	if ! grep -q 'Failing input written' "$log" &&
		[ "$(grep -A1 -- '^--- FAIL: ' "$log" | tail -n 1 | tr -d '[:space:]')" = "contextdeadlineexceeded" ]; then
		echo "fuzz.sh: $fn: the fuzzing coordinator's end-of-time race (golang/go#75804), no failing input: not a failure"
		flakes=$((flakes + 1))
		continue
	fi
	# The whole output: the failing input, the panic or the worker's exit.
	grep -v '^fuzz: elapsed:' "$log" | tail -n 60 >&2
	echo "fuzz.sh: $fn in $pkg failed; its input is under $pkg/testdata/fuzz/$fn: commit it as a regression seed" >&2
	exit 1
done
echo "fuzz.sh: ${#targets[@]} targets, $fuzztime each, no crash ($flakes ended by golang/go#75804)"
