#!/usr/bin/env bash
# Fetches the ONNX Runtime 1.30.0 shared library for linux-x64 into a cache
# outside the repository and prints its path, for `go build -tags ort` and
# `inferd serve --ort-library PATH` (or INFERD_ORT_LIBRARY=PATH).
#
# The library is taken from the npm registry's onnxruntime-node@1.30.0 tarball
# (the machines we build on reach npm but not GitHub releases): `npm pack`
# downloads the tarball without installing it, and only
# bin/napi-v6/linux/x64/libonnxruntime.so.1 is extracted with tar. No install
# script of the package ever runs. The tarball's sha512 is pinned below.
#
# Users with GitHub access usually take the official release archive instead:
#   https://github.com/microsoft/onnxruntime/releases/tag/v1.30.0
#   onnxruntime-linux-x64-1.30.0.tgz -> lib/libonnxruntime.so.1.30.0
#
# Idempotent: a second run only prints the path. Progress goes to stderr, the
# path alone to stdout:
#   INFERD_ORT_LIBRARY=$(scripts/onnxruntime.sh)
set -euo pipefail

version=1.30.0
sha512=b7086cd42d82fc1164cf5c9ce4e634288536194aba0d444eee10f86f1e50d90cb79c0309c115d6f31537355733136f5503d96894b3987a9a03f1f8d318e7c8ab
member=package/bin/napi-v6/linux/x64/libonnxruntime.so.1

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) echo "onnxruntime.sh: only linux-x64 is handled here; download the release archive for $(uname -s)/$(uname -m) from https://github.com/microsoft/onnxruntime/releases/tag/v$version" >&2
     exit 1 ;;
esac

cache=${INFERD_ORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/inferd/onnxruntime-$version}
lib=$cache/libonnxruntime.so.1
if [ -s "$lib" ]; then
  echo "$lib"
  exit 0
fi

mkdir -p "$cache"
tmps=()
trap 'rm -rf "${tmps[@]}"' EXIT
tgz=$cache/onnxruntime-node-$version.tgz
if [ ! -s "$tgz" ] || ! echo "$sha512  $tgz" | sha512sum --check --status; then
  command -v npm >/dev/null || { echo "onnxruntime.sh: npm is required to fetch onnxruntime-node@$version" >&2; exit 1; }
  echo "onnxruntime.sh: downloading onnxruntime-node@$version from the npm registry (about 110 MB, once)" >&2
  tmp=$(mktemp -d "$cache/pack.XXXXXX")
  tmps+=("$tmp")
  # npm pack of a registry spec only downloads the tarball; --ignore-scripts
  # makes sure no lifecycle script runs either way.
  (cd "$tmp" && npm pack --ignore-scripts --silent "onnxruntime-node@$version" >/dev/null)
  mv "$tmp/onnxruntime-node-$version.tgz" "$tgz"
fi
if ! echo "$sha512  $tgz" | sha512sum --check --status; then
  echo "onnxruntime.sh: $tgz does not have the pinned sha512; delete it and retry" >&2
  exit 1
fi

tmp=$(mktemp -d "$cache/extract.XXXXXX")
tmps+=("$tmp")
tar -xzf "$tgz" -C "$tmp" "$member"
chmod 0644 "$tmp/$member"
mv "$tmp/$member" "$lib"
echo "onnxruntime.sh: extracted $lib" >&2
echo "$lib"
