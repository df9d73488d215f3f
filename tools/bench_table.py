#!/usr/bin/env python3
"""Turns Google Benchmark JSON (--benchmark_out=FILE --benchmark_out_format=json) from
bench/*_bench into markdown tables of deterministic vs fast throughput.

  tools/bench_table.py conv2d.json linear.json gemm.json train_step.json > table.md

Benchmark names are <op>/<device>/<variant>/<shape>[/<arg>:<value>...] (device cpu or cuda,
from bench/ and bench/cuda/); variants det and fast (or eigen for the GEMM) are paired on
everything else in the name. Arguments a benchmark lacks (the CUDA ones have no threads:)
show as "—". With --benchmark_repetitions the median aggregate is used; otherwise the mean
of the iteration rows. A benchmark that failed its validation, or was skipped (no usable
CUDA device), shows its error instead of a number. Python 3 standard library only.
"""
import argparse
import json
import statistics
import sys
from collections import defaultdict

TARGET_OP = 0.90     # det throughput >= 0.9 x fast, per op and pass
TARGET_STEP = {"cpu": 1.10, "cuda": 1.15}  # det step time <= this x fast, per device
TARGET_GEMM = 0.90   # det GEMM >= 0.9 x Eigen


def load(paths):
    """load_docs() of the JSON files at paths."""
    docs = []
    for path in paths:
        with open(path) as f:
            docs.append(json.load(f))
    return load_docs(docs)


def load_docs(docs):
    """name -> result (its counters and real_time, or {'error': message}); plus the contexts."""
    rows, contexts = defaultdict(list), []
    medians = {}
    for doc in docs:
        contexts.append(doc.get("context", {}))
        for b in doc.get("benchmarks", []):
            name = b.get("run_name", b["name"])
            if b.get("error_occurred"):
                medians[name] = {"error": b.get("error_message", "error")}
                continue
            if b.get("run_type") == "aggregate":
                if b.get("aggregate_name") == "median":
                    medians[name] = b
                continue
            rows[name].append(b)
    out = {}
    for name, bs in rows.items():
        if name in medians:
            continue
        merged = {"real_time": statistics.mean(b["real_time"] for b in bs)}
        for key in ("FLOP/s", "samples/s"):
            if key in bs[0]:
                merged[key] = statistics.mean(b[key] for b in bs)
        merged["time_unit"] = bs[0].get("time_unit", "ns")
        out[name] = merged
    out.update(medians)
    return out, contexts


def split(name):
    """op, device, variant, rest (the shape and arguments, e.g. "mnist_c1_b32/threads:1")."""
    parts = [p for p in name.split("/") if p not in ("real_time", "manual_time")]
    return parts[0], parts[1], parts[2], "/".join(parts[3:])


def args_of(rest):
    """The shape (the first part, when it is not an argument) and the {arg: value} of rest."""
    parts = rest.split("/") if rest else []
    shape = parts[0] if parts and ":" not in parts[0] else ""
    args = dict(p.split(":", 1) for p in parts if ":" in p)
    return shape, args


def fmt(x, digits=1):
    return "—" if x is None else f"{x:.{digits}f}"


def cell(b, key, scale=1.0):
    if b is None:
        return None, "missing"
    if "error" in b:
        return None, "ERROR: " + b["error"]
    v = b.get(key)
    return (None, "—") if v is None else (v / scale, None)


def paired(results, keep):
    """{key: {variant: result}} for the benchmarks whose op passes keep(op); key is (op, device, rest)."""
    pairs = defaultdict(dict)
    for name, b in results.items():
        op, device, variant, rest = split(name)
        if keep(op):
            pairs[(op, device, rest)][variant] = b
    return pairs


def compare(variants, a, b, key, scale=1.0):
    """Cells of variants a and b: (a value, a error text, b value, b error text)."""
    va, ea = cell(variants.get(a), key, scale)
    vb, eb = cell(variants.get(b), key, scale)
    return va, ea, vb, eb


def mark(ratio, good):
    return "" if ratio is None else ("yes" if good(ratio) else "**no**")


def table_ops(results):
    lines = ["| op / pass | device | shape | threads | det GFLOP/s | fast GFLOP/s | det/fast | ≥ 0.9 |",
             "|---|---|---|---|---:|---:|---:|:-:|"]
    pairs = paired(results, lambda op: op not in ("gemm", "train_step"))
    for key in sorted(pairs):
        op, device, rest = key
        shape, args = args_of(rest)
        det, derr, fast, ferr = compare(pairs[key], "det", "fast", "FLOP/s", 1e9)
        ratio = det / fast if det and fast else None
        ok = mark(ratio, lambda r: r >= TARGET_OP)
        lines.append(f"| {op} | {device} | {shape} | {args.get('threads', '—')} | {derr or fmt(det)} | "
                     f"{ferr or fmt(fast)} | {fmt(ratio, 2)} | {ok} |")
    return lines


def table_gemm(results):
    lines = ["| GEMM n³ | threads | det GFLOP/s | Eigen GFLOP/s | det/Eigen | ≥ 0.9 |", "|---|---|---:|---:|---:|:-:|"]
    pairs = paired(results, lambda op: op == "gemm")
    for key in sorted(pairs, key=lambda k: (int(args_of(k[2])[1].get("n", 0)), k[2])):
        _, args = args_of(key[2])
        n, threads = args.get("n", "—"), args.get("threads", "—")
        det, derr, eig, eerr = compare(pairs[key], "det", "eigen", "FLOP/s", 1e9)
        ratio = det / eig if det and eig else None
        ok = mark(ratio, lambda r: r >= TARGET_GEMM)
        lines.append(f"| {n} | {threads} | {derr or fmt(det)} | {eerr or fmt(eig)} | {fmt(ratio, 2)} | {ok} |")
    return lines


def table_steps(results):
    lines = ["| training step | device | threads | det samples/s | fast samples/s | det time / fast time | target |",
             "|---|---|---|---:|---:|---:|:-:|"]
    pairs = paired(results, lambda op: op == "train_step")
    for key in sorted(pairs, key=lambda k: (k[1], int(args_of(k[2])[1].get("batch", 0)), k[2])):
        _, device, rest = key
        _, args = args_of(rest)
        det, derr, fast, ferr = compare(pairs[key], "det", "fast", "samples/s")
        ratio = fast / det if det and fast else None
        target = TARGET_STEP.get(device, TARGET_STEP["cpu"])
        ok = mark(ratio, lambda r: r <= target)
        lines.append(f"| batch {args.get('batch', '—')} | {device} | {args.get('threads', '—')} | {derr or fmt(det, 0)} | "
                     f"{ferr or fmt(fast, 0)} | {fmt(ratio, 2)} | ≤ {target:.2f}: {ok or '—'} |")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", nargs="+", help="Google Benchmark JSON files")
    args = ap.parse_args()
    results, contexts = load(args.json)
    ctx = contexts[0] if contexts else {}
    print(f"CPU: {ctx.get('cpu_model', '?')} ({ctx.get('hardware_threads', ctx.get('num_cpus', '?'))} hardware threads), "
          f"LOCKSTEP_ARCH={ctx.get('lockstep_arch', '?')}, date {ctx.get('date', '?')}")
    for gpu in sorted({c["gpu"] for c in contexts if c.get("gpu")}):
        print(f"GPU: {gpu}")
    print()
    for title, rows in (("Per op and pass (higher is better; det/fast = det throughput ÷ fast throughput)", table_ops(results)),
                        ("GEMM, C = A·Bᵀ", table_gemm(results)),
                        ("End-to-end training step (reference CNN with dropout, SGD)", table_steps(results))):
        if len(rows) > 2:
            print(f"### {title}\n")
            print("\n".join(rows))
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
