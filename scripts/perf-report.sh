#!/usr/bin/env bash
# Regenerates docs/performance.md: the native engine side by side with ONNX
# Runtime (`inferd perf`, same process, same inputs, same thread counts) on
# the digits CNN and MLP, ResNet-18, MobileNetV2 and scikit-learn tree
# ensembles, at batch 1 and 32 with 1 and 2 threads; the GFLOP/s of the
# SIMD kernels (go test -bench); and the allocations per steady-state run
# (-benchmem). Each perf configuration is measured --repeat times, and the
# report gives the median of the repeats.
#
# ONNX Runtime comes from scripts/onnxruntime.sh (the npm registry); when it
# cannot be fetched the report is of the native engine alone and says so.
# ResNet-18 and MobileNetV2 come from scripts/gen-zoo.sh (python3-torch,
# python3-torchvision); the tree models are the examples/sklearn ones with
# their thresholds as float attributes (python3-onnx), which ONNX Runtime
# 1.30 needs (it rejects the double *_as_tensor attributes).
#
# Usage: scripts/perf-report.sh [--duration 5s] [--repeat 3] [--out docs/performance.md] [--render-only]
#   --render-only rewrites the report from the measurements of the last run.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=5s
repeat=3
out=docs/performance.md
render_only=
while [ $# -gt 0 ]; do
  case "$1" in
    --render-only) render_only=1; shift ;;
    --duration) duration=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "perf-report.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
work=.cache/perf
mkdir -p "$work/trees"

engines=native
if [ -n "$render_only" ]; then
  if ls "$work"/*.json >/dev/null 2>&1 && grep -q '"ort"' "$work"/*.json; then engines=native,ort; fi
elif lib=$(scripts/onnxruntime.sh) && [ -n "$lib" ]; then
  export INFERD_ORT_LIBRARY=$lib
  go build -tags ort -o "$work/inferd" ./cmd/inferd
  engines=native,ort
else
  echo "perf-report: ONNX Runtime unavailable, measuring the native engine alone" >&2
  go build -o "$work/inferd" ./cmd/inferd
fi

models=(
  "digits=examples/models/digits/1/model.onnx"
  "digits-mlp=examples/models/digits-mlp/1/model.onnx"
  "transformer_encoder=examples/zoo/transformer_encoder/model.onnx"
)
zoo=("resnet18=.cache/zoo/resnet18/model.onnx" "mobilenet_v2=.cache/zoo/mobilenet_v2/model.onnx"
  "db_detector=.cache/zoo/db_detector/model.onnx" "crnn=.cache/zoo/crnn/model.onnx"
  "transformer_gelu=.cache/zoo/transformer_gelu/model.onnx" "vad_lstm=.cache/zoo/vad_lstm/model.onnx"
  "yolo_detector=.cache/zoo/yolo_detector/model.onnx")
# Models whose inputs perf cannot make up: the voice-activity model's chunk
# length and its sample rate (a scalar choosing the If's 16 kHz branch).
declare -A perf_args=([vad_lstm]="--dim samples=512 --input sr=16000")
if [ -n "$render_only" ]; then
  models+=("${zoo[@]}")
elif /usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null; then
  scripts/gen-zoo.sh
  models+=("${zoo[@]}")
else
  echo "perf-report: python3-torch/torchvision missing, ResNet-18 and MobileNetV2 left out" >&2
fi
if /usr/bin/python3 -c 'import onnx' 2>/dev/null; then
  for m in random_forest_iris gradient_boosting_breast_cancer; do
    [ -n "$render_only" ] || /usr/bin/python3 - "examples/sklearn/$m.onnx" "$work/trees/$m.onnx" <<'EOF'
import sys, onnx
from onnx import helper, numpy_helper
m = onnx.load(sys.argv[1])
for n in m.graph.node:
    attrs = []
    for a in n.attribute:
        if a.name.endswith("_as_tensor"):
            vals = numpy_helper.to_array(a.t).astype("float32").ravel().tolist()
            a = helper.make_attribute(a.name[: -len("_as_tensor")], vals)
        attrs.append(a)
    del n.attribute[:]
    n.attribute.extend(attrs)
onnx.save(m, sys.argv[2])
EOF
    models+=("$m=$work/trees/$m.onnx")
  done
fi

if [ -z "$render_only" ]; then
rm -f "$work"/*.json
printf '%s %s\n' "$duration" "$repeat" > "$work/params"
for rep in $(seq 1 "$repeat"); do
  for entry in "${models[@]}"; do
    name=${entry%%=*} path=${entry#*=}
    echo "perf-report: $name (run $rep of $repeat)" >&2
    # shellcheck disable=SC2086 # perf_args holds several flags
    "$work/inferd" perf "$path" --engines "$engines" --batch 1,32 --threads 1,2 \
      --duration "$duration" --warmup 2 --json ${perf_args[$name]:-} > "$work/$name.$rep.json"
  done
done

echo "perf-report: kernel benchmarks" >&2
go test -run '^$' -bench 'BenchmarkGemmTile|BenchmarkTapSum' -benchtime 1s ./engine/native/internal/simd > "$work/tiles.txt"
# Winograd's benchmark compares every forced tile size on 1 and 2 threads
# (88 cases): the report takes its one-thread direct and planned rows.
go test -run '^$' -bench 'BenchmarkSGEMM|BenchmarkConv|BenchmarkDepthwise' -skip 'BenchmarkConvWinograd' \
  -benchtime 200ms -timeout 30m ./engine/native > "$work/kernels.txt"
go test -run '^$' -bench 'BenchmarkConvWinograd/.*/.*/threads=1/(direct|planned)$' -benchtime 200ms \
  -timeout 30m ./engine/native | grep '^Benchmark' >> "$work/kernels.txt"
echo "perf-report: allocations" >&2
go test -run '^$' -bench 'BenchmarkRealModels' -benchmem -benchtime 20x ./engine/native > "$work/allocs.txt"
fi

[ ! -f "$work/params" ] || read -r duration repeat < "$work/params"
/usr/bin/python3 - "$work" "$out" "$engines" "$duration" "$repeat" "${models[@]}" <<'EOF'
import glob, json, os, platform, re, statistics, subprocess, sys, datetime

work, out, engines, duration, repeat = sys.argv[1:6]
models = [m.split("=", 1) for m in sys.argv[6:]]
have_ort = "ort" in engines.split(",")

DESIGN = """## What the native engine does

- **Kernels** (`engine/native/internal/simd`): assembly generated with
  [avo](https://github.com/mmcloughlin/avo) from `internal/simd/gen` (its own module, so
  inferd does not depend on avo; `go generate ./engine/native/internal/simd`). An 8×32
  AVX-512 and a 6×16 AVX2/FMA GEMM micro-kernel, each also in an *indirect* form that reads
  B through a table of row offsets; an epilogue fused into their stores (alpha, accumulate,
  bias per row or column, clamp); tap kernels (sum and maximum of shifted views) for
  depthwise convolution and max pooling; strided copies and a row splitter; vector kernels
  (add, sub, mul, div, and the float32 exp, erf, tanh and sigmoid approximations with NaN
  and range handling) for elementwise programs and Softmax. They are chosen
  at run time from the CPU's features (golang.org/x/sys/cpu); the `purego` tag or another
  architecture leaves the portable Go kernels. Tests force every kernel the CPU runs.
- **GEMM**: packed, cache-blocked (kc 256, mc 128, nc 2048); constant weights are packed
  once at load.
- **Convolution**, by a cost model per layer: an *implicit GEMM* over the input laid out in
  padded stride phases (each kernel tap a constant offset, no im2col copy; the planes of
  consecutive images share their padding, so a band of outputs can span images; on two
  threads, a batch split by images, or at batch 1 on small planes each thread laying out its own
  copy for its output channels, so that no thread reads planes another core wrote); a
  pointwise path for 1×1 convolutions reading the input in place (on small planes, such as
  7×7 and 14×14, transposed: positions as the rows of the product, filling row tiles of 8
  where they would leave most of a column tile of 32 empty, with a kernel that stores its
  tiles transposed into the output planes); *Winograd* F(2×2,3×3) or F(4×4,3×3) for 3×3
  stride-1 layers wide enough to pay (filters transformed once per Conv, up to 8 MB; tiles
  transformed as SIMD lanes straight into the packed GEMM layout; chosen per image, so a batch
  and its split parts compute the same sums; on two threads or more whole blocks of tile rows,
  balanced, per thread, or, where the transformed filters outweigh the tiles (256@14 at batch 1),
  each thread a part of the output channels, reading only its share of the filters); a packed
  im2col for the rest; depthwise
  convolution with the tap kernel. Plans (geometry, algorithm, offset tables) are cached per
  input shape. Winograd is not exact to the window: F(4×4)'s error is about 1e-5 of the
  outputs' scale (direct: 1e-6), an Inf or NaN input spreads to the whole 4×4 output tile
  whose 6×6 input patch holds it, and inputs beyond about 1e36 in magnitude overflow there.
- **Graph rewrites at load**: constant folding, dead-node removal, Conv+BatchNormalization
  folding, fusion of the residual Add, and *elementwise fusion*: any connected group of
  elementwise steps (arithmetic with broadcasting, Min/Max, Pow by a constant, Clip,
  activations, Erf, Cast to float) whose intermediate values are read only inside it runs
  as one pass, a small program interpreted over blocks of 128 values (affine steps and
  clamps folded into one SIMD instruction). Decomposed hardswish, hardsigmoid, SiLU, GELU
  (Erf and Tanh forms) are such groups whatever the exporter; a group that is a function of
  one tensor runs in the epilogue of the Conv or Gemm producing it. A decomposed LayerNorm
  (ReduceMean, Sub, Pow or Mul, ReduceMean, Add ε, Sqrt, Div, then a constant scale and
  bias) becomes one step of two passes per row.
- **ConvTranspose** (1-D, 2-D) as a matrix product and a float32 col2im; **Resize** of the
  last two axes from flattened taps cached per shape (nearest is an indexed copy);
  **RNN/GRU/LSTM** in float32 with the input projection of all steps as one matrix product
  and each step's recurrent product on the SIMD tap kernel; float32 Erf, Exp, Sigmoid,
  Softmax and trailing-axis reductions.
- **Memory**: intermediate buffers, and the tensor headers over them, are recycled by a
  per-session arena kept across runs (not a sync.Pool, so garbage collections do not empty
  it); scratch buffers by size classes, sharded by the Go scheduler's P, so that a kernel takes
  the buffer its own core used last, not one the other core just filled; convolution and pooling
  plans cached per input shape;
  the per-run state and the parallel regions' task objects are pooled, and kernels hand
  their regions non-escaping bodies instead of closures. A steady-state run of these models
  allocates a constant handful of small objects, whatever the depth or batch: the output
  tensors and the map that returns them (6 for the CNNs; the `allocs` column). Shape
  arithmetic (Shape, Gather, Concat, Unsqueeze, integer Add/Mul... over shapes and
  constants) is memoized per step: a run with the input shapes of the last one reuses its
  small outputs. Kernels that move elements view data by element size without boxing.
- **Threads**: one process-wide set of GOMAXPROCS-1 helper goroutines, shared by the
  sessions; a parallel region takes at most IntraOpThreads-1 of them, and only while cores
  are idle, so concurrent sessions do not oversubscribe the CPU. Chunks are claimed
  dynamically, the caller from the front of a region and helpers from the back, so that
  each core computes a contiguous part and mostly reads what it wrote itself; a helper's
  reservation ends as soon as it is of no more use, and a helper polls for 200 µs between
  regions only while regions come that often (judged by when a region was posted, not by
  when a slow wake-up delivered it), and through the whole of any run on two or more threads
  in progress (as many helpers as those runs may use), so that a region after a long serial
  step does not wait for a parked helper's wake-up. A caller done with its chunks polls for
  up to 1 ms for its helpers' last ones before it blocks, so that the Go scheduler does not
  move it onto the helper's core (which swapped the two parts' cores); callers and helpers
  give their thread to other processes between polls (`sched_yield`), so that a caller and a
  helper sharing one core under load do not keep each other waiting. A batch-separable run's parts claim its
  sub-batches the same way (the first part from the front of the batch, the others from
  the back), so a part whose core another process takes leaves its rows to the others.

"""

LEFT = """## What is left

- Convolutions still copy their input into the padded layout and their output back out
  (about 10-15% of ResNet-18 and MobileNetV2 at batch 32), and the padded layout computes
  some garbage columns (up to a quarter on 7×7 maps). A layout that the producing layer
  writes directly (as ONNX Runtime's NCHWc) would remove both.
- Depthwise convolution is bound by its copies and by split loads; a 3×3-specialised kernel
  reusing loaded vectors, and writing its rows straight into the output, would help
  MobileNetV2.
- Two threads scale well on large layers (ResNet-18 at batch 32) but less on MobileNetV2 at
  batch 1, whose many short layers leave each region tens of microseconds.
- The transformer path at batch 32: the attention products (MatMul with two computed
  operands) pack both operands per small product, and Softmax's row maximum and sum are Go
  loops; the transformers still allocate 60-70 times per run (Slice and Transpose layouts,
  broadcast layouts of unfused Add/Mul), against 6 for the CNNs.
- Comparisons and Where do not join elementwise groups (bool values), and a group has one
  output; the GELU group after a MatMul+bias is not yet the GEMM's epilogue.
- Resize outside the last two axes, ConvTranspose in 3-D and recurrent operators with
  per-sequence lengths still take the general float64 paths.

"""

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""

cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
flags = sh("grep -m1 flags /proc/cpuinfo").split()
simd = " ".join(f for f in ["avx2", "fma", "avx512f", "avx512bw", "avx512vl"] if f in flags)
caches = "; ".join(" ".join(l.split()) for l in sh("lscpu | grep -i 'cache'").splitlines())
L = []
w = L.append
w("# Performance of the native engine")
w("")
w("Generated by `scripts/perf-report.sh` on " + datetime.date.today().isoformat() + "; do not edit by hand.")
w("This is the engine's speed, model by model; the server's (HTTP, batching, protocols) is in")
w("[performance-serving.md](performance-serving.md), written by `bench/run.sh`.")
w("")
w("## Machine")
w("")
w(f"- CPU: {cpu}, {os.cpu_count()} cores ({simd}); {caches}")
w(f"- {sh('go version')}; {platform.system()} {platform.release()}")
if have_ort:
    w("- ONNX Runtime 1.30.0 (scripts/onnxruntime.sh), through engine/ort")
else:
    w("- ONNX Runtime was not available: the native engine alone is measured")
load = sh("cut -d' ' -f1-3 /proc/loadavg")
w(f"- load average when the report ended: {load} (the machine is shared:")
w(f"  each configuration ran {duration} per engine, the engines taking turns in rounds of 250 ms,")
w(f"  {repeat} times; the tables give the median of the repeats)")
w("")

def load(name):
    runs = []
    for path in sorted(glob.glob(os.path.join(work, name + ".*.json"))):
        with open(path) as f:
            runs.append(json.load(f))
    return runs

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

w(DESIGN)
w("## inferd perf: native and ONNX Runtime side by side")
w("")
w("`ratio` is native's throughput over ONNX Runtime's (samples per second, same threads and batch):")
w("the targets are at least 0.5 at batch 32, and batch-1 latency at most twice ONNX Runtime's")
w("(a ratio of at least 0.5 at batch 1). GFLOP/s counts Conv and Gemm multiply-adds (two operations each).")
w("`allocs` is the Go heap allocations of one steady-state run.")
w("")
summary = []
for name, path in models:
    runs = load(name)
    if not runs:
        continue
    w(f"### {name}")
    w("")
    w(f"`inferd perf {path} --engines {engines} --batch 1,32 --threads 1,2 --duration {duration}`")
    w("")
    if have_ort:
        w("| threads | batch | native ms | ORT ms | native samples/s | ORT samples/s | ratio | native GFLOP/s | ORT GFLOP/s | allocs |")
        w("|---|---|---|---|---|---|---|---|---|---|")
    else:
        w("| threads | batch | native ms | native samples/s | native GFLOP/s | allocs |")
        w("|---|---|---|---|---|---|")
    keys = sorted({(r["threads"], r["batch"]) for run in runs for r in run["results"]})
    for th, b in keys:
        def stat(engine, field):
            return med([r.get(field) for run in runs for r in run["results"]
                        if r["engine"] == engine and r["threads"] == th and r["batch"] == b])
        nms, nsps = stat("native", "median_ms"), stat("native", "samples_per_second")
        ng, na = stat("native", "gflop_per_second"), stat("native", "allocs_per_run")
        g = lambda v: "-" if not v else f"{v:.1f}"
        if have_ort:
            oms, osps, og = stat("ort", "median_ms"), stat("ort", "samples_per_second"), stat("ort", "gflop_per_second")
            ratio = nsps / osps if nsps and osps else None
            summary.append((name, th, b, ratio))
            w(f"| {th} | {b} | {nms:.3f} | {oms:.3f} | {nsps:,.0f} | {osps:,.0f} | **{ratio:.2f}** | {g(ng)} | {g(og)} | {na:.0f} |")
        else:
            w(f"| {th} | {b} | {nms:.3f} | {nsps:,.0f} | {g(ng)} | {na:.0f} |")
    agree = all(a.get("agree", True) for run in runs for a in run.get("agreement", []))
    if have_ort:
        w("")
        w("Outputs agree between the engines (rtol 1e-3, atol 1e-4)." if agree else "**The outputs disagree: see `inferd perf`.**")
    w("")

if summary:
    w("### Against the targets")
    w("")
    w("| model | threads | batch | ratio | target | met |")
    w("|---|---|---|---|---|---|")
    for name, th, b, r in summary:
        target = 0.5
        if name.startswith(("random_forest", "gradient_boosting")):
            target = 1.0
        met = "yes" if r is not None and r >= target else "no"
        w(f"| {name} | {th} | {b} | {r:.2f} | {target} | {met} |")
    w("")

def bench(file, pattern):
    rows = []
    try:
        text = open(os.path.join(work, file)).read()
    except OSError:
        return rows
    for line in text.splitlines():
        m = re.match(r"^(Benchmark\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op(.*)$", line)
        if m and re.search(pattern, m.group(1)):
            extra = dict((u, float(v)) for v, u in re.findall(r"([\d.]+) (\S+)", m.group(4)))
            rows.append((m.group(1), float(m.group(3)), extra))
    return rows

w("## Kernels")
w("")
w("`go test -run '^$' -bench 'BenchmarkGemmTile|BenchmarkTapSum' ./engine/native/internal/simd` and")
w("`go test -run '^$' -bench 'BenchmarkSGEMM|BenchmarkConv|BenchmarkDepthwise' -skip BenchmarkConvWinograd ./engine/native`")
w("and `go test -run '^$' -bench 'BenchmarkConvWinograd/.*/.*/threads=1/(direct|planned)$' ./engine/native`.")
w("Every kernel the CPU runs is measured (avx512, avx2 and the portable Go one).")
w("")
w("| benchmark | time/op | GFLOP/s or ns/output |")
w("|---|---|---|")
for name, ns, extra in bench("tiles.txt", ".") + bench("kernels.txt", "."):
    v = extra.get("GFLOP/s")
    metric = f"{v:.1f} GFLOP/s" if v is not None else ""
    if "ns/output" in extra:
        metric = f"{extra['ns/output']:.3f} ns/output"
    if "µs/image" in extra:
        metric = f"{extra['µs/image']:.1f} µs/image"
    t = f"{ns/1e6:.3f} ms" if ns >= 1e5 else f"{ns:.0f} ns"
    w(f"| `{name[len('Benchmark'):]}` | {t} | {metric} |")
w("")

w("## Allocations per run")
w("")
w("`go test -run '^$' -bench BenchmarkRealModels -benchmem -benchtime 20x ./engine/native`: a")
w("steady-state run (after the first, which sizes the session's buffers). The times are of")
w("20 runs only, taken last: the perf tables above are the measurement of speed.")
w("")
w("| benchmark | time/op | B/op | allocs/op |")
w("|---|---|---|---|")
for name, ns, extra in bench("allocs.txt", "RealModels"):
    w(f"| `{name[len('BenchmarkRealModels/'):]}` | {ns/1e6:.3f} ms | {extra.get('B/op', 0):.0f} | {extra.get('allocs/op', 0):.0f} |")
w("")
w(LEFT)
with open(out, "w") as f:
    f.write("\n".join(L))
print("perf-report: wrote", out, file=sys.stderr)
EOF
