# shellcheck shell=bash
# emulators.sh: sourced by scripts that test object storage beyond S3 (which
# scripts/lib/minio.sh covers): the Azure Blob Storage and GCS emulators.
#
#   emulators_start  installs them once into .cache/emulators (Azurite, the
#                    npm package azurite, with npm; fake-gcs-server with go
#                    install from the Go module proxy), starts them on free
#                    loopback ports with throwaway data, and exports
#                    INFERD_TEST_AZURITE_ENDPOINT and INFERD_TEST_GCS_ENDPOINT
#                    (host:port), which repository/bucket's tests read. The
#                    processes go to steps_kill, the data to steps_cleanup,
#                    when those exist (scripts/lib/steps.sh).
AZURITE_VERSION=3.37.0
FAKE_GCS_VERSION=v1.56.1
emulators_dir=${INFERD_EMULATORS_DIR:-.cache/emulators}

_emulators_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

emulators_install() {
	mkdir -p "$emulators_dir"
	if [ ! -x "$emulators_dir/azurite/node_modules/.bin/azurite-blob" ]; then
		command -v npm >/dev/null || apt_install npm
		echo "emulators: installing azurite@$AZURITE_VERSION with npm into $emulators_dir (once)"
		npm install --no-audit --no-fund --silent --prefix "$emulators_dir/azurite" "azurite@$AZURITE_VERSION" >&2
	fi
	if [ ! -x "$emulators_dir/bin/fake-gcs-server" ]; then
		echo "emulators: building fake-gcs-server@$FAKE_GCS_VERSION into $emulators_dir/bin (once)"
		GOBIN=$(cd "$emulators_dir" && pwd)/bin GOFLAGS=-mod=mod go install "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION"
	fi
}

# _emulators_wait NAME URL PID waits up to 60 s for any HTTP answer at URL.
_emulators_wait() {
	for _ in $(seq 1 300); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$2" 2>/dev/null)" != 000 ] && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.2
	done
	echo "emulators: $1 did not start" >&2
	return 1
}

emulators_start() {
	emulators_install
	local dir az gcs pid gpid
	dir=$(mktemp -d "${TMPDIR:-/tmp}/inferd-emulators.XXXXXX")
	az=$(_emulators_free_port)
	gcs=$(_emulators_free_port)
	"$emulators_dir/azurite/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$az" --location "$dir/azurite" \
		--skipApiVersionCheck --disableTelemetry </dev/null >"$dir/azurite.log" 2>&1 &
	pid=$!
	if declare -p steps_kill >/dev/null 2>&1; then
		steps_kill+=("$pid")
		steps_cleanup+=("$dir")
	fi
	"$emulators_dir/bin/fake-gcs-server" -scheme http -host 127.0.0.1 -port "$gcs" -backend memory \
		-public-host "127.0.0.1:$gcs" </dev/null >"$dir/fake-gcs.log" 2>&1 &
	gpid=$!
	if declare -p steps_kill >/dev/null 2>&1; then
		steps_kill+=("$gpid")
	fi
	_emulators_wait fake-gcs-server "http://127.0.0.1:$gcs/storage/v1/b" "$gpid" || { cat "$dir/fake-gcs.log" >&2; return 1; }
	_emulators_wait Azurite "http://127.0.0.1:$az/devstoreaccount1?comp=list" "$pid" || { cat "$dir/azurite.log" >&2; return 1; }
	export INFERD_TEST_AZURITE_ENDPOINT=127.0.0.1:$az INFERD_TEST_GCS_ENDPOINT=127.0.0.1:$gcs
	echo "emulators: Azurite on $INFERD_TEST_AZURITE_ENDPOINT, fake-gcs-server on $INFERD_TEST_GCS_ENDPOINT"
}
