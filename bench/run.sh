#!/usr/bin/env bash
# bench/run.sh: inferd against the seed's approach, side by side on this machine.
#
# Starts, each on loopback:
#   - inferd serving examples/models (the digits CNN and the digits MLP), seed routes,
#     plus bench/models/transformer (examples/zoo's transformer encoder, JSON tensors
#     in: a model whose engine time dominates, for the batching comparison);
#   - a Flask app serving the same two models through PyTorch (bench/flask/app.py),
#     under gunicorn with one sync worker per core and OPENBLAS_NUM_THREADS=1;
#   - a bare Go net/http handler that only decodes the PNG (bench/decodeonly);
#   - in the same inferd process, each of the three models again as NAME-batching, with
#     dynamic batching configured (BATCHING below), reported as server inferd-batching,
# then loads each with `inferd bench` (closed loop, concurrency 1, 8 and 64, the 50
# sample images of examples/digits/images in turn), three times. A model and its
# -batching twin are measured as mirrored pairs: each repetition measures A B B A (odd
# repetitions) or B A A B (even ones) at each concurrency, two pairs back to back in
# opposite orders, each target's points after its own warm-up (B B back to back share
# one), so that both see the same machine, and the report gives the ratio of every
# repetition (the geometric mean of its two pairs': an advantage of the first point after a
# change of target or concurrency falls on one side only, so it is halved there, and cancels
# between odd and even repetitions, whose orders are opposite: use an even --reps) and their
# median; then overloads the
# batching inferd's transformer with an open-loop run at 1.5 times its closed-loop
# capacity (resident memory sampled every half second), records `inferd perf` of the models
# at batch 1 and 32 (how the engine's cost per sample falls with the batch), and
# writes the medians with the machine's description to docs/performance-serving.md.
#
# Usage: bench/run.sh [--quick] [--reps N] [--duration D] [--warmup D] [--out FILE]
#                     [--results DIR] [--all-protocols] [--no-flask] [--batching-only]
#   --quick          1s points, 300ms warm-up, one repetition, written to
#                    $TMPDIR/inferd-performance-quick.md (for CI: checks that everything
#                    runs and every request succeeds; the figures mean little)
#   --reps N         repetitions of every point (default 3; the report takes medians;
#                    each repetition measures the batching pairs twice, mirrored)
#   --duration D     length of each point (default 10s), --warmup D before each (default 1s)
#   --out FILE       the report (default docs/performance-serving.md for a full run; a
#                    partial one, --no-flask or --batching-only, writes
#                    $TMPDIR/inferd-performance-partial.md instead, so that it never replaces
#                    the committed report's other sections)
#   --results DIR    keep the raw `inferd bench --json` reports there
#   --all-protocols  also measure inferd's digits CNN over v2 REST and v2 gRPC
#   --no-flask       skip Flask (no python3-flask/gunicorn/python3-torch needed)
#   --batching-only  only the pairs with and without batching and `inferd perf` (implies
#                    --no-flask; no decode-only, no other protocols, no overload run)
#
# Installs python3-flask, gunicorn, python3-torch, python3-onnx, python3-pil and
# python3-sklearn with apt-get if they are missing (as root, or through sudo).
# Ports: BENCH_PORT (default 18470) and the three after it; they must be free.
# Exits non-zero if any request failed (in the overload run: failed otherwise than
# with 429). A full run takes about 30 minutes on the 2-core reference machine (about 11 with
# --duration 3s).
set -euo pipefail

cd "$(dirname "$0")/.."

reps=3 duration=10s warmup=1s out="" results="" all_protocols=0 flask=1 quick=0 only=0
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 reps=1 duration=1s warmup=300ms out="${TMPDIR:-/tmp}/inferd-performance-quick.md" ;;
	--reps) reps=${2:?--reps wants a number}; shift ;;
	--duration) duration=${2:?--duration wants a duration}; shift ;;
	--warmup) warmup=${2:?--warmup wants a duration}; shift ;;
	--out) out=${2:?--out wants a file}; shift ;;
	--results) results=${2:?--results wants a directory}; shift ;;
	--all-protocols) all_protocols=1 ;;
	--no-flask) flask=0 ;;
	--batching-only) only=1 flask=0 all_protocols=0 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$out" ]; then
	out=docs/performance-serving.md
	[ "$flask" = 0 ] && out="${TMPDIR:-/tmp}/inferd-performance-partial.md"
fi
case "$reps" in '' | *[!0-9]* | 0) echo "bench/run.sh: --reps wants a positive integer" >&2; exit 2 ;; esac

log() { echo "bench/run.sh: $*" >&2; }

# Never under a real-time policy (`chrt -f`): the servers and the load generator are Go programs
# with many threads, and on busy cores a spinning thread at FIFO priority keeps a runnable thread of
# the same priority off the core for good (a run hung for 15 minutes, the server not even handling
# SIGQUIT). Back to the normal policy for this script and all it starts.
chrt -o -p 0 $$ 2>/dev/null || true

# Debian packages, installed only if missing (scripts/lib/apt.sh).
if [ "$flask" = 1 ]; then
	. scripts/lib/apt.sh
	apt_install python3-flask gunicorn python3-torch python3-onnx python3-pil python3-sklearn
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/inferd-bench.XXXXXX")
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building inferd and bench/decodeonly"
go build -o "$work/inferd" ./cmd/inferd
go build -o "$work/decodeonly" ./bench/decodeonly

base=${BENCH_PORT:-18470}
http_port=$base grpc_port=$((base + 1)) flask_port=$((base + 2)) decode_port=$((base + 3))
for port in $http_port $grpc_port $flask_port $decode_port; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		log "port $port is in use; set BENCH_PORT to a free range"
		exit 1
	fi
done

# wait_up URL NAME PID [CODE]: waits up to 120s for URL to answer CODE (200).
wait_up() {
	local i want=${4:-200}
	for i in $(seq 1 1200); do
		if ! kill -0 "$3" 2>/dev/null; then
			log "$2 exited; its log:"
			cat "$work/$2.log" >&2
			exit 1
		fi
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = "$want" ] && return 0
		sleep 0.1
	done
	log "$2 is not up after 120s; its log:"
	cat "$work/$2.log" >&2
	exit 1
}

# The repository: the example models and the transformer, and each of the three
# batching candidates again as NAME-batching with dynamic batching: two sessions
# running batches at once, a batch waits up to 1ms for companions (at most 32 rows), at
# most 64 requests waiting. One process serves both variants, so that a comparison
# is not also one of two processes' luck with the scheduler.
BATCHING='instances: 2
batching: {max_batch_size: 32, max_queue_delay: 1ms, max_queue_size: 64}'
paired_models=(digits digits-mlp transformer)
cp -r examples/models "$work/repo"
mkdir -p "$work/repo/transformer/1"
cp bench/models/transformer/config.yaml "$work/repo/transformer/"
cp examples/zoo/transformer_encoder/model.onnx "$work/repo/transformer/1/"
for model in "${paired_models[@]}"; do
	cp -r "$work/repo/$model" "$work/repo/$model-batching"
	printf '%s\n' "$BATCHING" >>"$work/repo/$model-batching/config.yaml"
done
"$work/inferd" serve --repository "$work/repo" --http-addr "127.0.0.1:$http_port" \
	--grpc-addr "127.0.0.1:$grpc_port" --log-level warn >"$work/inferd.log" 2>&1 &
pids+=($!) inferd_pid=$!
"$work/decodeonly" --addr "127.0.0.1:$decode_port" >"$work/decodeonly.log" 2>&1 &
pids+=($!) decode_pid=$!
if [ "$flask" = 1 ]; then
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		gunicorn --workers "$(nproc)" --worker-class sync --bind "127.0.0.1:$flask_port" \
		--chdir bench/flask --log-level warning app:app >"$work/flask.log" 2>&1 &
	pids+=($!) flask_pid=$!
fi
wait_up "http://127.0.0.1:$http_port/readyz" inferd "$inferd_pid"
wait_up "http://127.0.0.1:$decode_port/" decodeonly "$decode_pid" 405 # it only takes POST
[ "$flask" = 1 ] && wait_up "http://127.0.0.1:$flask_port/healthz" flask "$flask_pid"

# name|url|protocol|model[|input], in the order of the report; the input is the 50
# sample images unless given. The first three and the last three are the paired
# targets (measured in the pair loop below); inferd-batching's models are the
# -batching twins, reported under their base name.
transformer_input=bench/models/transformer/request.json
targets=(
	"inferd|http://127.0.0.1:$http_port|seed|digits"
	"inferd|http://127.0.0.1:$http_port|seed|digits-mlp"
	"inferd|http://127.0.0.1:$http_port|seed|transformer|$transformer_input"
)
[ "$all_protocols" = 1 ] && targets+=(
	"inferd|http://127.0.0.1:$http_port|v2|digits"
	"inferd|grpc://127.0.0.1:$grpc_port|v2-grpc|digits"
)
[ "$flask" = 1 ] && targets+=(
	"flask|http://127.0.0.1:$flask_port|seed|digits"
	"flask|http://127.0.0.1:$flask_port|seed|digits-mlp"
)
[ "$only" = 0 ] && targets+=("decode-only|http://127.0.0.1:$decode_port|seed|digits")
targets+=(
	"inferd-batching|http://127.0.0.1:$http_port|seed|digits-batching"
	"inferd-batching|http://127.0.0.1:$http_port|seed|digits-mlp-batching"
	"inferd-batching|http://127.0.0.1:$http_port|seed|transformer-batching|$transformer_input"
)
npaired=${#paired_models[@]} ntargets=${#targets[@]}
solo=($(seq "$npaired" $((ntargets - npaired - 1)))) # the targets measured on their own (none: seq 3 2)

images=(examples/digits/images/*.png)
mkdir -p "$work/results" "$work/parts"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
: >"$work/commands"
# server_cpu PID: CPU seconds (user + system) used so far by PID and its children (gunicorn's workers).
server_cpu() {
	local p total=0 hz
	hz=$(getconf CLK_TCK)
	for p in $1 $(pgrep -P "$1" || true); do
		total=$((total + $(sed 's/.*) //' "/proc/$p/stat" | cut -d' ' -f12,13 | tr ' ' '+')))
	done
	echo "$total $hz" | awk '{printf "%.3f", $1 / $2}'
}
pid_of() {
	case "$1" in
	inferd | inferd-batching) echo "$inferd_pid" ;;
	flask) echo "$flask_pid" ;; decode-only) echo "$decode_pid" ;;
	esac
}
# point I SLOT C [WARM]: measures target I at concurrency C, after a warm-up run unless WARM
# is 0 (the point right before was the same target's), into $work/parts/I.SLOT.C.json and the
# server's CPU seconds around it into .cpu. Every point is its own `inferd bench` run, so
# that the server's CPU time over it gives its CPU per request (both variants of a pair
# are in one process, measured one after the other). A repetition's points are slots
# 2*rep-1 and 2*rep (the second only for the pairs' mirrored second pair).
point() {
	local name url protocol model input inputs shown
	IFS='|' read -r name url protocol model input <<<"${targets[$1]}"
	inputs=("${images[@]}") shown='examples/digits/images/*.png'
	[ -n "$input" ] && inputs=("$input") shown=$input
	[ "$2" = 1 ] && [ "$3" = 1 ] && echo "inferd bench --url $url --protocol $protocol --model $model --concurrency C --duration $duration --warmup 0s --json --input $shown (C = 1, 8, 64; each after a $warmup warm-up run)" >>"$work/commands"
	local bench=("$work/inferd" bench --url "$url" --protocol "$protocol" --model "$model"
		--concurrency "$3" --warmup 0s --json --input "${inputs[@]}")
	[ "${4:-1}" = 0 ] || "${bench[@]}" --duration "$warmup" >/dev/null
	local cpu0 cpu1
	cpu0=$(server_cpu "$(pid_of "$name")")
	"${bench[@]}" --duration "$duration" >"$work/parts/$1.$2.$3.json"
	cpu1=$(server_cpu "$(pid_of "$name")")
	echo "$cpu0 $cpu1" >"$work/parts/$1.$2.$3.cpu"
}
# mirrored X Y SLOT C: the points X Y Y X at concurrency C, the first pair in SLOT and the
# second in SLOT+1; the second Y follows the first without a warm-up of its own. The
# measurement was A B (odd repetitions) or B A (even ones), one pair per repetition: its
# ratios were wide (90% intervals of about +-0.07 with 12 pairs), partly because the first
# point of a pair, coming after another concurrency or another model, ran slower or faster
# than the second (the digits CNN at 1 connection: 1.16 in the pairs measured without
# batching first, 1.03 in the others, on 954c98a).
mirrored() {
	point "$1" "$3" "$4" && point "$2" "$3" "$4" &&
		point "$2" $(($3 + 1)) "$4" 0 && point "$1" $(($3 + 1)) "$4"
}
# The solo targets' order rotates with the repetition: no server is always measured first,
# or right after the same other one. Then the pairs: at each concurrency a model without
# batching (A) and its -batching twin (B), A B B A in odd repetitions, B A A B in even
# ones, so that neither is always measured first.
for rep in $(seq 1 "$reps"); do
	slot=$((2 * rep - 1))
	for k in "${!solo[@]}"; do
		i=${solo[$(((k + rep - 1) % ${#solo[@]}))]}
		log "rep $rep/$reps: ${targets[$i]%%|http*} $(cut -d'|' -f3,4 <<<"${targets[$i]}")"
		for conc in 1 8 64; do point "$i" "$slot" "$conc"; done
	done
	for a in $(seq 0 $((npaired - 1))); do
		b=$((ntargets - npaired + a))
		log "rep $rep/$reps: pair ${paired_models[$a]}, $([ $((rep % 2)) = 1 ] && echo 'none first' || echo 'batching first')"
		for conc in 1 8 64; do
			if [ $((rep % 2)) = 1 ]; then
				mirrored "$a" "$b" "$slot" "$conc"
			else
				mirrored "$b" "$a" "$slot" "$conc"
			fi
		done
	done
done
# One report per target and slot, as one --concurrency 1,8,64 run writes it, each point
# with the server's CPU seconds over it (server_cpu_s); the -batching twins under their
# base model's name.
for i in "${!targets[@]}"; do
	name=${targets[$i]%%|*}
	for slot in $(seq 1 $((2 * reps))); do
		[ -f "$work/parts/$i.$slot.1.json" ] || continue # solo targets: odd slots only
		python3 - "$work/results/$i.$name.$slot.json" "$work/parts/$i.$slot".{1,8,64} <<'PY'
import json, sys
out, merged = sys.argv[1], None
for part in sys.argv[2:]:
    rep = json.load(open(part + ".json"))
    cpu0, cpu1 = map(float, open(part + ".cpu").read().split())
    for r in rep["results"]:
        r["server_cpu_s"] = cpu1 - cpu0
    if merged is None:
        merged = rep
    else:
        merged["results"] += rep["results"]
merged["model"] = merged["model"].removesuffix("-batching")
json.dump(merged, open(out, "w"), indent=1)
PY
	done
done

# Overload: open loop at one and a half times the batching server's closed-loop capacity at 64
# connections (the median over the repetitions), up to 1024 requests in flight, on
# the transformer: the model whose engine, and so whose batching queue, is the
# bottleneck (the digits models are bound by HTTP and PNG decoding, which back up
# before a request is read, ahead of any queue).
mkdir -p "$work/overload"
if [ "$only" = 0 ]; then
	capacity=$(python3 - "$work/results" <<'PY'
import glob, json, statistics, sys
tp = [r["throughput"] for f in glob.glob(sys.argv[1] + "/*.inferd-batching.*.json")
      for rep in [json.load(open(f))] if rep["model"] == "transformer"
      for r in rep["results"] if r["concurrency"] == 64]
print(int(statistics.median(tp)))
PY
	)
	rate=$((3 * capacity / 2))
	log "overload: open loop at $rate requests/s (capacity $capacity) on inferd-batching transformer"
	echo "inferd bench --url http://127.0.0.1:$http_port --model transformer-batching --rate $rate --concurrency 1024 --duration $duration --warmup $warmup --json --input $transformer_input" >"$work/overload/command"
	sample_rss() {
		while kill -0 "$inferd_pid" 2>/dev/null; do
			echo "$(date +%s.%N) $(ps -o rss= -p "$inferd_pid")"
			sleep 0.5
		done
	}
	sample_rss >"$work/overload/rss" &
	sampler=$!
	"$work/inferd" bench --url "http://127.0.0.1:$http_port" --model transformer-batching --rate "$rate" \
		--concurrency 1024 --duration "$duration" --warmup "$warmup" --json \
		--input "$transformer_input" >"$work/overload/result.json"
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
fi

# How the engine's cost per sample falls with the batch (2 threads, as served).
for model in digits digits-mlp transformer; do
	"$work/inferd" perf "$work/repo/$model/1/model.onnx" --engines native --batch 1,32 \
		--threads 2 --duration "$duration" --json >"$work/overload/perf-$model.json"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# Resident memory of each server after the run (gunicorn: master and workers).
rss_kib() {
	local children
	children=$(pgrep -d, -P "$1" || true)
	ps -o rss= -p "${children:+$children,}$1" | awk '{s += $1} END {print s + 0}'
}
rss="inferd (with the -batching twins)=$(rss_kib "$inferd_pid") decode-only=$(rss_kib "$decode_pid")"
[ "$flask" = 1 ] && rss="$rss flask=$(rss_kib "$flask_pid")"

[ -n "$results" ] && mkdir -p "$results" && cp "$work"/results/*.json "$results"/ && cp -r "$work/overload" "$results"/
mkdir -p "$(dirname "$out")"
python3 bench/report.py --results "$work/results" --out "$out" --reps "$reps" \
	--duration "$duration" --warmup "$warmup" --go-version "$(go version)" \
	--load-before "$load_before" --load-after "$load_after" --started "$started" \
	--rss "$rss" --commands "$work/commands" --quick "$quick" --overload "$work/overload" \
	--batching "$BATCHING" --mirrored 1
log "wrote $out"
