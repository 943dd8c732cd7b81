#!/usr/bin/env bash
# deploy-lint.sh validates the deployment files offline, strictly:
#   - helm lint --strict of deploy/helm/inferd (defaults and every values file
#     of deploy/testdata/helm/good), and
#   - go test ./deploy with that helm: the plain manifests, the KServe
#     runtime and `helm template` output decode strictly into the Kubernetes
#     API types (k8s.io/api) and fit together, values.schema.json refuses
#     the bad values of deploy/testdata/helm/bad, docker-compose.yml loads
#     with compose-go, and the Containerfile matches what imagebuild makes.
#
# Helm is not in Debian 12, so this builds a pinned helm from its Go module
# (through the Go module proxy) once, into the Go build cache; later runs
# reuse it. Helm is not a dependency of inferd's go.mod: its module pulls in
# client-go and much of Kubernetes, which inferd never links.
#
# Usage: scripts/deploy-lint.sh
set -euo pipefail

HELM_VERSION=v3.22.0

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v go >/dev/null || { echo "deploy-lint: Go is required" >&2; exit 1; }

bin=$(go env GOCACHE)/inferd-tools/helm-$HELM_VERSION
helm=$bin/helm
if [[ ! -x $helm ]]; then
	echo "deploy-lint: building helm $HELM_VERSION (once; about 2 minutes on 2 cores)" >&2
	mkdir -p "$bin"
	GOBIN=$bin GOFLAGS='' CGO_ENABLED=0 go install \
		-ldflags "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
		"helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi
"$helm" version --short

# Helm keeps its caches out of $HOME.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HELM_CACHE_HOME=$tmp/cache HELM_CONFIG_HOME=$tmp/config HELM_DATA_HOME=$tmp/data

echo "== helm lint --strict deploy/helm/inferd"
# The defaults read the repository from object storage: models.url is the
# one value they need.
"$helm" lint --strict deploy/helm/inferd --set models.url=s3://models/inferd
for values in deploy/testdata/helm/good/*.yaml; do
	"$helm" lint --strict --quiet deploy/helm/inferd --values "$values"
done

echo "== go test ./deploy (manifests, chart, KServe, compose, Containerfile)"
INFERD_HELM=$helm go test -count=1 ./deploy
