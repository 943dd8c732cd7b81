#!/usr/bin/python3
"""Writes docs/performance-serving.md from the `inferd bench --json` reports of bench/run.sh.

Each results file is <target index>.<server>.<repetition>.json. For every target
and concurrency the report gives the median over the repetitions of each figure
(throughput, p50, p99, p99.9), and the lowest and highest throughput to show the
spread. Exits 1 (after writing the report) if any request failed.
"""

import argparse
import glob
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys

sys.dont_write_bytecode = True

# The targets, checked in the report (not asserted: figures depend on the machine).
TARGET_SPEEDUP_FLASK = 8.0
TARGET_SHARE_DECODE = 0.70
TARGET_P99_MS = 10.0
TARGET_OVERHEAD_US = 150.0
TARGET_BATCHING_COST = 0.95
TARGET_BATCHING_GAIN = 1.3
# The models held to TARGET_BATCHING_GAIN at 64 connections: the one whose engine time the issue
# says dominates (bench/models/transformer), whatever share of a request the engine now takes.
GAIN_MODELS = {"transformer"}


def load(results_dir):
    """Returns [(index, server, protocol, model, [report per rep])] in target order."""
    groups = {}
    for path in glob.glob(os.path.join(results_dir, "*.json")):
        index, server, rep = re.match(r"(\d+)\.(.+)\.(\d+)\.json$", os.path.basename(path)).groups()
        with open(path, encoding="utf-8") as f:
            groups.setdefault((int(index), server), []).append((int(rep), json.load(f)))
    out = []
    for (index, server), reps in sorted(groups.items()):
        reports = [r for _, r in sorted(reps, key=lambda x: x[0])]
        out.append((index, server, reports[0]["protocol"], reports[0]["model"], reports))
    return out


def points(reports):
    """Per concurrency: the medians and spread over the repetitions."""
    by_conc = {}
    for rep in reports:
        for r in rep["results"]:
            by_conc.setdefault(r["concurrency"], []).append(r)
    rows = {}
    for conc, rs in sorted(by_conc.items()):
        med = lambda f: statistics.median(f(r) for r in rs)  # noqa: E731
        server = [r["server"] for r in rs if r.get("server")]
        rows[conc] = {
            "throughput": med(lambda r: r["throughput"]),
            "tp_min": min(r["throughput"] for r in rs),
            "tp_max": max(r["throughput"] for r in rs),
            "p50": med(lambda r: r["latency"]["p50_us"]),
            "p99": med(lambda r: r["latency"]["p99_us"]),
            "p999": med(lambda r: r["latency"]["p99_9_us"]),
            "compute": statistics.median(s["compute"]["p50_us"] for s in server) if server else None,
            "batch": statistics.median(s.get("mean_batch", 0) for s in server) if server else 0,
            "queue": statistics.median(s["queue"]["p50_us"] for s in server) if server else None,
            # The server's CPU time per answered request (bench/run.sh measures it around each point).
            "cpu": statistics.median(1e6 * r["server_cpu_s"] / r["ok"] for r in rs if r["ok"])
            if all("server_cpu_s" in r for r in rs) and any(r["ok"] for r in rs) else None,
            "sent": sum(r["sent"] for r in rs),
            "failed": sum(r["failed"] for r in rs),
            "errors": [r.get("errors") for r in rs if r.get("errors")],
            "reps": len(rs),
        }
    return rows


def us(v):
    """Microseconds, printed as the CLI prints latencies."""
    if v is None:
        return "n/a"
    if v < 1000:
        return f"{v:.0f} µs"
    if v < 10000:
        return f"{v / 1000:.2f} ms"
    return f"{v / 1000:.1f} ms"


def run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine(args):
    cpu, flags = "unknown", set()
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name" and cpu == "unknown":
                cpu = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    mem = "unknown"
    with open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    simd = ", ".join(x for x in ("avx2", "fma", "avx512f") if x in flags) or "none of avx2, fma, avx512f"
    versions = []
    for pkg in ("python3-torch", "python3-flask", "gunicorn"):
        v = run(["dpkg-query", "-W", "-f=${Version}", pkg])
        if v:
            versions.append(f"{pkg} {v}")
    commit = run(["git", "rev-parse", "--short", "HEAD"])
    if commit and run(["git", "status", "--porcelain", "--untracked-files=no"]):
        commit += " with uncommitted changes"
    return [
        f"CPU: {cpu}, {run(['nproc'])} logical CPUs (nproc); SIMD: {simd}",
        f"Memory: {mem}",
        f"Kernel: Linux {platform.release()}; {args.go_version}; Python {platform.python_version()}"
        + (f"; {', '.join(versions)}" if versions else ""),
        f"inferd: commit {commit or 'unknown'}",
        f"Load average (1, 5, 15 min) before the run: {args.load_before}; after: {args.load_after} "
        "(the benchmark itself, server and client, accounts for about 2; more means other work shared the machine)",
        f"Started {args.started}; resident memory of the servers at the end (KiB): {args.rss}",
    ]


def find(targets, server, model, protocol="seed"):
    for _, s, p, m, reports in targets:
        if (s, p, m) == (server, protocol, model):
            return points(reports)
    return None


def find_reports(targets, server, model, protocol="seed"):
    for _, s, p, m, reports in targets:
        if (s, p, m) == (server, protocol, model):
            return reports
    return None


def pair_ratios(off_reports, on_reports, conc, mirrored=False):
    """Per pair (measured back to back in one process): with / without batching, of
    throughput and of server CPU per request. mirrored: the reports come in twos, a
    repetition's two pairs measured in opposite orders (A B B A), and each repetition gives
    the geometric mean of its two pairs' ratios. An advantage of the first point after a change
    of target is only halved in it (the second pair's second point follows the first pair's
    directly); it cancels between odd and even repetitions, whose orders are opposite."""
    def at(rep):
        return next((r for r in rep["results"] if r["concurrency"] == conc), None)
    tp, cpu = [], []
    for off, on in zip(off_reports, on_reports):
        a, b = at(off), at(on)
        if not a or not b or not a["throughput"] or not a["ok"] or not b["ok"]:
            tp.append(None)
            cpu.append(None)
            continue
        tp.append(b["throughput"] / a["throughput"])
        ok = a.get("server_cpu_s") and b.get("server_cpu_s")
        cpu.append((b["server_cpu_s"] / b["ok"]) / (a["server_cpu_s"] / a["ok"]) if ok else None)
    if mirrored:
        tp, cpu = geo_pairs(tp), geo_pairs(cpu)
    return [x for x in tp if x is not None], [x for x in cpu if x is not None]


def geo_pairs(xs):
    """The geometric means of xs taken in twos (None where either is missing)."""
    return [math.sqrt(x * y) if x is not None and y is not None else None for x, y in zip(xs[::2], xs[1::2])]


def median_ci(xs, level=0.9):
    """The median of xs and a distribution-free confidence interval for it (order statistics:
    the widest symmetric pair of ranks whose binomial coverage is at least level), or None for
    the interval when there are too few values to reach level."""
    xs, n = sorted(xs), len(xs)
    med = statistics.median(xs)
    # P(x_(j) <= median < x_(n-j+1)) = 1 - 2 P(Binomial(n, 1/2) < j)
    below, j = 0.0, 0
    while True:
        p = math.comb(n, j) / 2 ** n
        if 1 - 2 * (below + p) < level:
            break
        below += p
        j += 1
    if j == 0:
        return med, None
    return med, (xs[j - 1], xs[n - j])


def verdict(ci, target):
    """met / not met when the interval is on one side of target, else unresolved."""
    if ci is None:
        return "unresolved (too few pairs)"
    lo, hi = ci
    return "met" if lo >= target else "not met" if hi < target else "unresolved"


def ratio_lines(targets):
    cnn, mlp = find(targets, "inferd", "digits"), find(targets, "inferd", "digits-mlp")
    flask, decode = find(targets, "flask", "digits"), find(targets, "decode-only", "digits")
    lines = []
    if cnn and 64 in cnn and flask and 64 in flask:
        x = cnn[64]["throughput"] / flask[64]["throughput"]
        lines.append(f"| digits CNN throughput at 64 connections, inferd / Flask | **{x:.1f}×** | ≥ {TARGET_SPEEDUP_FLASK:.0f}× | {'met' if x >= TARGET_SPEEDUP_FLASK else 'not met'} |")
    if cnn and 64 in cnn and decode and 64 in decode:
        x = cnn[64]["throughput"] / decode[64]["throughput"]
        lines.append(f"| throughput at 64 connections, inferd digits CNN / decode-only handler | **{100 * x:.0f}%** | ≥ {100 * TARGET_SHARE_DECODE:.0f}% | {'met' if x >= TARGET_SHARE_DECODE else 'not met'} |")
    if cnn and 64 in cnn:
        v = cnn[64]["p99"]
        lines.append(f"| inferd digits CNN p99 at 64 connections | **{us(v)}** | < {TARGET_P99_MS:.0f} ms | {'met' if v < 1000 * TARGET_P99_MS else 'not met'} |")
    batched = find(targets, "inferd-batching", "digits")
    if batched and 64 in batched:
        v = batched[64]["p99"]
        lines.append(f"| inferd digits CNN p99 at 64 connections, with batching | **{us(v)}** | < {TARGET_P99_MS:.0f} ms | {'met' if v < 1000 * TARGET_P99_MS else 'not met'} |")
        x = batched[64]["throughput"] / flask[64]["throughput"] if flask and 64 in flask else None
        if x:
            lines.append(f"| digits CNN throughput at 64 connections, inferd with batching / Flask | {x:.1f}× | | |")
    if mlp and 1 in mlp:
        v = mlp[1]["p50"]
        lines.append(f"| inferd digits MLP p50 at 1 connection (inferd's own overhead) | **{us(v)}** | < {TARGET_OVERHEAD_US:.0f} µs | {'met' if v < TARGET_OVERHEAD_US else 'not met'} |")
    for conc in (1, 8):
        if cnn and flask and conc in cnn and conc in flask:
            lines.append(f"| digits CNN throughput at {conc} connection{'s' if conc > 1 else ''}, inferd / Flask | {cnn[conc]['throughput'] / flask[conc]['throughput']:.1f}× | | |")
        if cnn and decode and conc in cnn and conc in decode:
            lines.append(f"| throughput at {conc} connection{'s' if conc > 1 else ''}, inferd digits CNN / decode-only | {100 * cnn[conc]['throughput'] / decode[conc]['throughput']:.0f}% | | |")
    return lines


def per_sample(perf_file):
    """The engine's median time per sample at batch 1 and 32, from `inferd perf --json`."""
    try:
        with open(perf_file, encoding="utf-8") as f:
            rep = json.load(f)
    except (OSError, ValueError):
        return None
    t = {r["batch"]: 1000 * r["median_ms"] / r["batch"] for r in rep.get("results", [])}
    return t if 1 in t and 32 in t else None


def batching_lines(targets, overload_dir, mirrored=False):
    """Batching against no batching, per model and connection count, and the targets."""
    out = ["| model | connections | without batching, requests/s | with batching, requests/s | ratio, median of repetitions | ratio of each repetition | server CPU per request, without → with (median ratio of repetitions) | mean batch | engine µs per sample, batch 1 → 32 |",
           "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    targets_rows = []
    for model in ("digits", "digits-mlp", "transformer"):
        off, on = find(targets, "inferd", model), find(targets, "inferd-batching", model)
        if not off or not on:
            continue
        off_reps, on_reps = find_reports(targets, "inferd", model), find_reports(targets, "inferd-batching", model)
        ps = per_sample(os.path.join(overload_dir, f"perf-{model}.json"))
        engine = f"{ps[1]:.1f} → {ps[32]:.2f} ({ps[1] / ps[32]:.1f}× less)" if ps else "n/a"
        ratio, cis = {}, {}
        for conc in sorted(set(off) & set(on)):
            tp, cpu = pair_ratios(off_reps, on_reps, conc, mirrored)
            if not tp:
                continue
            ratio[conc], cis[conc] = median_ci(tp)
            ci = f" [{cis[conc][0]:.2f}–{cis[conc][1]:.2f}]" if cis[conc] else ""
            cpu_x = ""
            if cpu:
                m, c = median_ci(cpu)
                cpu_x = f" ({m:.2f}×" + (f" [{c[0]:.2f}–{c[1]:.2f}]" if c else "") + ")"
            out.append(f"| {model} | {conc} | {off[conc]['throughput']:,.0f} | {on[conc]['throughput']:,.0f} | {ratio[conc]:.2f}×{ci} | "
                       f"{' '.join(f'{x:.2f}' for x in tp)} | {us(off[conc]['cpu'])} → {us(on[conc]['cpu'])}{cpu_x} | "
                       f"{on[conc]['batch']:.1f} | {engine if conc == 64 else ''} |")
        for conc, x in ratio.items():
            ci = f" [{cis[conc][0]:.2f}–{cis[conc][1]:.2f}]" if cis[conc] else ""
            targets_rows.append(f"| {model}: throughput at {conc} connection{'s' if conc > 1 else ''}, batching / none (median of pairs, 90% interval) | **{x:.2f}×**{ci} | ≥ {TARGET_BATCHING_COST:.2f}× | {verdict(cis[conc], TARGET_BATCHING_COST)} |")
        if 64 in ratio:
            x = ratio[64]
            if ps and 1 in off and off[1]["compute"] is not None:
                # Batching can only gain much where the engine's time per sample
                # falls with the batch and is most of a request's time.
                share = off[1]["compute"] / off[1]["p50"]
                what = (f"{model}: engine {ps[1]:.0f} → {ps[32]:.1f} µs per sample (batch 1 → 32), "
                        f"{100 * share:.0f}% of a request's latency at 1 connection")
                ci = f" [{cis[64][0]:.2f}–{cis[64][1]:.2f}]" if cis[64] else ""
                if model in GAIN_MODELS:
                    targets_rows.append(f"| {what}: batching / none at 64 | **{x:.2f}×**{ci} | ≥ {TARGET_BATCHING_GAIN}× | {verdict(cis[64], TARGET_BATCHING_GAIN)} |")
                else:
                    targets_rows.append(f"| {what}: batching / none at 64 | {x:.2f}×{ci} | (the ≥ {TARGET_BATCHING_GAIN}× is the transformer's) | |")
    return out, targets_rows


def overload_lines(overload_dir):
    """The open-loop overload run: what was accepted, how fast, what was refused, memory."""
    try:
        with open(os.path.join(overload_dir, "result.json"), encoding="utf-8") as f:
            rep = json.load(f)
        with open(os.path.join(overload_dir, "command"), encoding="utf-8") as f:
            command = f.read().strip()
    except (OSError, ValueError):
        return [], [], []
    r = rep["results"][0]
    errors = r.get("errors") or {}
    refused = errors.get("429", 0)
    other = {k: v for k, v in errors.items() if k != "429"}
    el = r.get("elapsed_s") or 1
    rss = []
    try:
        with open(os.path.join(overload_dir, "rss"), encoding="utf-8") as f:
            rss = [int(line.split()[1]) for line in f if len(line.split()) == 2]
    except (OSError, ValueError):
        pass
    q = (r.get("server") or {}).get("queue") or {}
    lines = ["| offered | answered 200 | refused 429 | other failures | accepted p50 | accepted p99 | accepted max | queue p99 (server) | 429 p99 | resident memory during the run |",
             "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
             f"| {r.get('rate', 0):,.0f}/s | {r['ok'] / el:,.0f}/s ({r['ok']:,}) | {refused / el:,.0f}/s ({refused:,}) | "
             f"{sum(other.values())}{' ' + str(other) if other else ''} (unsent {r.get('unsent', 0):,}) | {us(r['latency']['p50_us'])} | {us(r['latency']['p99_us'])} | "
             f"{us(r['latency']['max_us'])} | {us(q.get('p99_us'))} | {us((r.get('failed_latency') or {}).get('p99_us'))} | "
             + (f"{min(rss) / 1024:.1f}–{max(rss) / 1024:.1f} MiB ({len(rss)} samples)" if rss else "n/a") + " |"]
    target = [f"| overload (transformer, open loop at {r.get('rate', 0):,.0f}/s): accepted p99 / 429s / memory | **{us(r['latency']['p99_us'])}** / "
              f"{refused:,} / {(max(rss) - min(rss)) / 1024:.1f} MiB spread | bounded by the queue / at once / flat | "
              f"{'met' if refused and not other and r['latency']['p99_us'] < 100_000 else 'not met'} |"] if rss else []
    failures = [f"overload run: {other}"] if other else []
    return lines + ["", f"`{command}`"], target, failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for flag in ("results", "out", "reps", "duration", "warmup", "go-version", "load-before",
                 "load-after", "started", "rss", "commands", "quick", "overload", "batching"):
        ap.add_argument("--" + flag, required=True)
    ap.add_argument("--mirrored", default="0", help="1: the pairs' reports come in twos, A B then B A (bench/run.sh)")
    args = ap.parse_args()
    targets = load(args.results)
    if not targets:
        sys.exit("bench/report.py: no results")

    doc = ["# Performance", ""]
    doc.append("Written by `bench/run.sh` on the machine below; rerun it rather than editing this file.")
    if args.quick == "1":
        doc += ["", "**Quick mode** (`--quick`): short points and one repetition; the figures are only a smoke test."]
    doc += ["", "inferd, a Flask app serving the same models through PyTorch (the seed's approach), and a bare Go",
            "`net/http` handler that only decodes the PNG, each loaded in turn by `inferd bench` on loopback with",
            f"the same 50 images (`examples/digits/images/*.png`, sent in turn; the transformer gets JSON tokens), closed loop at 1, 8 and 64",
            f"connections, {args.duration} per point after a {args.warmup} warm-up, {args.reps} repetition(s);",
            "every figure is the median over the repetitions (throughput also shows the lowest and highest).",
            "Latency runs from sending the request to the end of the answer. The load generator runs on the same",
            "cores as the server, as the issue's reference figures did.",
            "", "## Machine", ""]
    doc += [f"- {line}" for line in machine(args)]

    doc += ["", "## Results", "",
            "| server | protocol | model | connections | requests/s (min–max) | p50 | p99 | p99.9 | compute p50 | queue p50 | server CPU per request | failed |",
            "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    failures = []
    for _, server, protocol, model, reports in targets:
        for conc, p in points(reports).items():
            spread = f" ({p['tp_min']:,.0f}–{p['tp_max']:,.0f})" if p["reps"] > 1 else ""
            doc.append(f"| {server} | {protocol} | {model} | {conc} | {p['throughput']:,.0f}{spread} | {us(p['p50'])} | "
                       f"{us(p['p99'])} | {us(p['p999'])} | {us(p['compute'])} | {us(p['queue'])} | {us(p['cpu'])} | {p['failed']} of {p['sent']:,} |")
            if p["failed"] or not p["throughput"]:
                failures.append(f"{server} {protocol} {model} at {conc}: {p['failed']} of {p['sent']} failed {p['errors']}")
    doc += ["", "compute and queue are inferd's own account of each request (the `Inferd-Timing` header: engine",
            "time, and time waiting in the batcher, 0 without batching); n/a for the other servers.",
            "", "## Against the issue's targets", "",
            "| figure | measured | target | |", "|---|--:|--:|---|"]
    doc += ratio_lines(targets)
    batch_table, batch_targets = batching_lines(targets, args.overload, args.mirrored == "1")
    over_table, over_target, over_failures = overload_lines(args.overload)
    doc += batch_targets + over_target
    failures += over_failures

    doc += ["", "## Dynamic batching", "",
            "inferd-batching is the same inferd process serving each model again as NAME-batching, a copy with",
            "these lines added to its config.yaml:",
            "", "```yaml", args.batching, "```", "",
            "Two sessions run batches at once; a batch waits for companions only when the companions expected in",
            "about one learned gap between requests save more learned fixed costs of a call than the queue costs,",
            "only in the epochs whose policy allows waiting (it stops when not waiting measures at least 2% more",
            "requests answered per second, by the median of the last seven comparisons), and never when every",
            "request in flight is already queued and no batch runs; a batch that waits fills, up to the delay (a",
            "request that finds the batcher idle runs at once, without queueing). Under load",
            "batches form from the requests that queue while both sessions are busy (the mean batch column). The",
            "engine column is `inferd perf` on the model at batch 1 and 32 with 2 threads (median per sample).",
            "A model and its twin are measured as pairs, back to back at each connection count"]
    if args.mirrored == "1":
        doc += ["(two pairs per repetition in opposite orders, A B B A or B A A B, alternating; a repetition's ratio is",
                "the geometric mean of its two pairs'; an advantage of the first point after a change of target is",
                "halved in it, and cancels between odd and even repetitions, whose orders are opposite; the throughput",
                "columns are medians over both pairs' points);"]
    else:
        doc += ["(in alternating order, one pair per repetition);"]
    doc += ["the ratio is the median of the repetitions' ratios, which a change in the",
            "machine's load between pairs does not move as much as a ratio of medians, with a distribution-free 90%",
            "confidence interval for it in brackets (order statistics of the repetitions). A target is met or not met only",
            "when the whole interval is on one side of it, else unresolved: more pairs, or a quieter machine, narrow it.", ""]
    doc += batch_table
    doc += ["", "## Overload", "",
            "inferd-batching's transformer under an open-loop load at 1.5 times its closed-loop capacity at 64 connections",
            "(latency counted from each request's scheduled send time, so queueing anywhere shows; the load generator",
            "shares the two cores, so it cannot offer much more without becoming the bottleneck). A full batching",
            "queue (64 requests) answers 429 before the request body is read. The transformer is the model whose",
            "engine, and so whose queue, is the bottleneck; the digits models are bound by HTTP and PNG decoding,",
            "so their excess waits in the sockets before any request is read, ahead of any queue (an open-loop run",
            "above their capacity gets no 429s, only latency).", ""]
    doc += over_table or ["(not run)"]

    doc += ["", "## Setup", "",
            "- **inferd**: `inferd serve --repository examples/models` (native engine, default settings, no",
            "  batching configured), seed route `POST /models/{name}` with the raw PNG.",
            "- **Flask**: `bench/flask/app.py` under `gunicorn --workers $(nproc) --worker-class sync` with",
            "  `OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1` and `torch.set_num_threads(1)`.",
            "  The networks are built by `examples/digits/train.py`'s `make_cnn`/`make_mlp`, and the weights are",
            "  the ONNX initializers of `examples/models/<name>/1/model.onnx` read with `onnx.numpy_helper` (their",
            "  names are the modules' `state_dict` keys), so Flask and inferd serve the same weights; at start the",
            "  app checks all 50 sample images against `examples/digits/reference.json` (logits within 1e-4).",
            "  Preprocessing is `train.py`'s `server_tensor` (gray, 8×8 box resize, /255); the answer is the",
            "  same top-3 softmax JSON as inferd's. Sync workers close the connection after each answer.",
            "- **decode-only**: `bench/decodeonly`, a `net/http` handler that decodes the PNG with `image/png`",
            "  and answers its size: the floor of what a Go server pays per request with the standard decoder",
            "  (inferd decodes the common PNG layouts with its own pooled decoder, bit-identical to `image/png`,",
            "  at about half the cost: see `go test -bench DecodePNG ./preprocess`).",
            "- **inferd-batching**: the same inferd process, each model's -batching twin, with the batching",
            "  configuration of \"Dynamic batching\".",
            "- **transformer**: `bench/models/transformer`, the transformer encoder of `examples/zoo` (two",
            "  encoder layers, 12 tokens in, 3 logits out), served to both inferd servers with JSON tensors",
            "  (`bench/models/transformer/request.json`): a model whose engine time dominates the request.",
            "", "## Commands", "", "```sh", f"bench/run.sh{' --quick' if args.quick == '1' else ''}   # all of the below"]
    with open(args.commands, encoding="utf-8") as f:
        doc += [line.rstrip() for line in f if line.strip()]
    doc += ["```", ""]
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(doc))
    if failures:
        print("bench/report.py: requests failed:\n  " + "\n  ".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
