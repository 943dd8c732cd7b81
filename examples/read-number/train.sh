#!/bin/sh
# Installs the Debian packages train.py needs (only those missing) and runs it:
# trains the read-number detector and writes the sample canvases.
# Usage: examples/read-number/train.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
packages="python3-numpy python3-torch python3-onnx python3-sklearn python3-pil"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	echo "installing:$missing"
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		sudo="sudo"
	fi
	$sudo apt-get update
	# shellcheck disable=SC2086 # word splitting of the package list is intended
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $missing
fi

cd "$here"
exec /usr/bin/python3 train.py "$@"
