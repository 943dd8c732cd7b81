#!/usr/bin/env bash
# Sets up and runs the whole test suite: formatting, vet, module tidiness,
# generated code freshness, unit and integration tests (with the race
# detector where there is concurrency), and every benchmark once so that
# none rots. Also runs the export guides of docs/export.md (PyTorch and
# scikit-learn models exported, served and queried).
#
# Each step is announced with the time elapsed since the start; at the end,
# pass or fail, a summary lists how long every step took. Tools that take
# long to fetch or build are cached across runs: Debian packages are installed
# only when missing, ONNX Runtime under ~/.cache/inferd (scripts/onnxruntime.sh),
# helm in the Go build cache (scripts/deploy-lint.sh), ResNet-18 and
# MobileNetV2 in .cache/zoo (scripts/gen-zoo.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || { echo "test: Go is required" >&2; exit 1; }
# shellcheck source=scripts/lib/apt.sh
. scripts/lib/apt.sh
# shellcheck source=scripts/lib/steps.sh
. scripts/lib/steps.sh
steps_begin test
checkout_before=$(git status --porcelain 2>/dev/null || true)

step "system packages"
# gcc: the race detector; protobuf-compiler: the generated-code check;
# libonnx-testdata: the ONNX backend conformance suite; python3-torch,
# -torchvision, -onnx: ResNet-18 and MobileNetV2 with PyTorch's reference
# outputs for the real-model tests (generated into .cache, not committed);
# python3-sklearn: the scikit-learn export guide; curl: the export check;
# nginx: the load balancer in front of a fleet of replicas; chromium: the
# evaluation report opened in a real browser; podman-compose: the compose
# file brought up for real (scripts/image-test.sh).
apt_install gcc protobuf-compiler libonnx-testdata python3-torch python3-torchvision python3-onnx python3-sklearn curl nginx chromium podman-compose

step "go mod download"
go mod download

step "gofmt"
unformatted=$(find . -name '*.go' -not -path './.cache/*' -print0 | xargs -0 gofmt -l)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go mod tidy"
go mod tidy -diff

step "go vet"
go vet ./...

step "generated code is up to date (protobuf, the avo-generated SIMD assembly)"
scripts/gen-api-proto.sh --check
go generate ./engine/native/internal/simd && git diff --exit-code -- engine/native/internal/simd

step "go build (CGO_ENABLED=0: the default build is one static binary)"
bin=$(mktemp -d "${TMPDIR:-/tmp}/inferd-test.XXXXXX")
steps_cleanup+=("$bin")
CGO_ENABLED=0 go build -o "$bin/inferd" ./cmd/inferd

step "export guides (docs/export.md): PyTorch and scikit-learn exported, served, queried with curl"
bash scripts/export-check.sh --inferd "$bin/inferd"

step "evaluation: golden files and examples regenerate identically (python3-sklearn, python3-onnx)"
/usr/bin/python3 evaluate/metrics/testdata/gen_golden.py && /usr/bin/python3 examples/evaluation/gen_digits.py >/dev/null &&
	/usr/bin/python3 examples/evaluation/gen_loans.py >/dev/null && /usr/bin/python3 examples/evaluation/gen_houses.py >/dev/null &&
	/usr/bin/python3 examples/evaluation/gen_requests.py >/dev/null && git diff --exit-code -- evaluate examples/evaluation

step "services for the tests: MinIO, Azurite and fake-gcs-server on loopback (installed once into .cache)"
# shellcheck source=scripts/lib/minio.sh
. scripts/lib/minio.sh
minio_start
# shellcheck source=scripts/lib/emulators.sh
. scripts/lib/emulators.sh
emulators_start

# Packages with concurrency run under the race detector (needs cgo and gcc).
race_pkgs=(./app/... ./batch/... ./repository/... ./serving/... ./pipeline/... ./server/... ./api/... ./loadgen/... ./bench/... ./engine/native/... ./internal/cli/... ./cmd/...)

step "go test -race ${race_pkgs[*]}"
go test -race -count=1 "${race_pkgs[@]}"

step "go test ./..."
go test -count=1 ./...

step "monitoring: capture, stores, drift under -race, SQLite and a throwaway PostgreSQL (scripts/postgres.sh)"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
bash scripts/postgres.sh go test -race -count=1 ./monitor/...

step "go test -tags purego ./engine/native/...: the portable kernels without SIMD"
go test -count=1 -tags purego ./engine/native/...

step "ONNX conformance suite (regressions against conformance/testdata/native.pass) and real models"
bash scripts/conformance.sh

step "ONNX Runtime engine (-tags ort): its tests, conformance beside native, output agreement"
command -v npm >/dev/null || apt_install npm
bash scripts/test-ort.sh

step "console: go test -race ./console/..., then the browser test (scripts/test-ui.sh: chromium, playwright-core, axe-core)"
command -v npm >/dev/null || apt_install npm
go test -race -count=1 ./console/... && bash scripts/test-ui.sh --inferd "$bin/inferd"

step "deployment: helm lint --strict, manifests, chart, KServe and compose validated strictly"
bash scripts/deploy-lint.sh

step "container image: reproducible daemonless build, then a real podman run and podman-compose up"
bash scripts/image-test.sh

step "bench/run.sh --quick --no-flask: inferd bench against inferd and the decode-only handler"
bash bench/run.sh --quick --no-flask

step "fuzz targets of every decoder, bounded time each (scripts/fuzz.sh)"
bash scripts/fuzz.sh --time 8s

step "benchmarks, once each"
# The object-storage poll is measured on 200 models here (1,000 by hand:
# docs/scaling.md), to keep the suite short.
INFERD_BENCH_MODELS=200 go test -run '^$' -bench . -benchtime=1x ./...

step "the tests left the checkout as they found it"
checkout_after=$(git status --porcelain 2>/dev/null || true)
if [ "$checkout_after" != "$checkout_before" ]; then
  echo "the tests changed or left files in the checkout:"
  diff <(echo "$checkout_before") <(echo "$checkout_after") || true
  exit 1
fi
