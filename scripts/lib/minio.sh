# shellcheck shell=bash
# minio.sh: sourced by scripts that need a real S3 server on loopback.
#
#   minio_install   builds MinIO from the Go module proxy into .cache/bin
#                   once (go install github.com/minio/minio@latest, about
#                   five minutes on two cores) and reuses it afterwards.
#   minio_start     starts it on a free loopback port with a throwaway data
#                   directory and exports what the SDKs and the tests read:
#                   INFERD_TEST_S3_ENDPOINT (http://127.0.0.1:PORT),
#                   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION.
#                   It adds the process to steps_kill and the directory to
#                   steps_cleanup when those exist (scripts/lib/steps.sh).

minio_bin=${MINIO_BIN:-.cache/bin/minio}

minio_install() {
	if [ -x "$minio_bin" ]; then
		return 0
	fi
	echo "minio: building github.com/minio/minio@latest into $(dirname "$minio_bin") (once)"
	mkdir -p "$(dirname "$minio_bin")"
	GOBIN=$(cd "$(dirname "$minio_bin")" && pwd) GOFLAGS=-mod=mod go install github.com/minio/minio@latest
}

# _minio_free_port prints a free loopback TCP port.
_minio_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

minio_start() {
	minio_install
	local dir port i
	dir=$(mktemp -d "${TMPDIR:-/tmp}/inferd-minio.XXXXXX")
	port=$(_minio_free_port)
	export AWS_ACCESS_KEY_ID=inferd-test AWS_SECRET_ACCESS_KEY=inferd-test-secret AWS_REGION=us-east-1
	MINIO_ROOT_USER=$AWS_ACCESS_KEY_ID MINIO_ROOT_PASSWORD=$AWS_SECRET_ACCESS_KEY MINIO_BROWSER=off \
		MINIO_UPDATE=off CI=true "$minio_bin" server --quiet --address "127.0.0.1:$port" "$dir/data" >"$dir/minio.log" 2>&1 &
	local pid=$!
	if declare -p steps_kill >/dev/null 2>&1; then
		steps_kill+=("$pid")
		steps_cleanup+=("$dir")
	fi
	for i in $(seq 1 100); do
		if curl -fsS "http://127.0.0.1:$port/minio/health/ready" >/dev/null 2>&1; then
			export INFERD_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
			echo "minio: serving on $INFERD_TEST_S3_ENDPOINT (pid $pid)"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	echo "minio: did not become ready; its log:" >&2
	cat "$dir/minio.log" >&2
	return 1
}
