#!/usr/bin/env python3
"""Plots for `lockstep study`: reads the CSV files an experiment wrote and writes PNGs next
to them. Usage: plot.py sum|kernels|training DIR. Uses matplotlib's Agg backend (no display);
every number plotted comes from the CSVs, nothing is recomputed here."""
import csv
import math
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DPI = 110


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def save(fig, out, name):
    fig.tight_layout(rect=(0, 0, 1, 0.96) if fig._suptitle else (0, 0, 1, 1))
    fig.savefig(os.path.join(out, name), dpi=DPI)
    plt.close(fig)


def plot_sum(out):
    data = rows(os.path.join(out, "sum_orders.csv"))
    dists = list(dict.fromkeys(r["distribution"] for r in data))
    methods = list(dict.fromkeys(r["method"] for r in data))
    fig, axes = plt.subplots(len(dists), 1, figsize=(10, 2.6 * len(dists)), sharex=True)
    for ax, dist in zip(axes, dists):
        sel = [r for r in data if r["distribution"] == dist]
        # Near-zero exact sums (heavy cancellation) make ULPs meaningless as a scale: there the
        # panel shows the error relative to 2^-24 * sum|x| instead, the scale of the error bounds.
        huge = max(abs(int(r["ulp"])) for r in sel) > 10**6
        value = (lambda r: float(r["err_over_sum_abs"]) * 2**24) if huge else (lambda r: int(r["ulp"]))
        top = 0
        for i, m in enumerate(methods):
            ys = [value(r) for r in sel if r["method"] == m]
            if not ys:
                continue
            top = max(top, max(abs(y) for y in ys))
            # Jitter many-valued methods horizontally so overlapping points stay visible.
            xs = [i + (0.3 * ((k * 0.618) % 1 - 0.5) if len(ys) > 1 else 0) for k in range(len(ys))]
            ax.scatter(xs, ys, s=10, alpha=0.6)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_yscale("symlog", linthresh=1)
        ax.set_ylim(-3 * max(top, 1), 3 * max(top, 1))
        ax.set_ylabel("error / (2^-24 sum|x|)" if huge else "ulp vs exact", fontsize=8)
        ax.set_title(dist + (" (exact sum near 0: error scaled by sum|x|)" if huge else ""), fontsize=10, loc="left")
        ax.grid(axis="y", alpha=0.3)
    axes[-1].set_xticks(range(len(methods)))
    axes[-1].set_xticklabels(methods, rotation=30, ha="right")
    fig.suptitle("Float32 sum of the same values in different orders: signed ULP distance from the exact sum")
    save(fig, out, "sum_ulp.png")

    fig, axes = plt.subplots(1, len(dists), figsize=(3.2 * len(dists), 3))
    for ax, dist in zip(axes, dists):
        ys = [int(r["ulp"]) for r in data if r["distribution"] == dist and r["method"] == "random_perm"]
        if ys:
            lo, hi = min(ys), max(ys)
            bins = range(lo, hi + 2) if hi - lo < 60 else 40
            ax.hist(ys, bins=bins, color="tab:blue", alpha=0.8, align="left")
        ax.set_title(f"{dist}: {len(ys)} permutations", fontsize=9)
        ax.set_xlabel("ulp vs exact")
    axes[0].set_ylabel("count")
    save(fig, out, "sum_perm_hist.png")

    vs = rows(os.path.join(out, "sum_vs_n.csv"))
    vdists = list(dict.fromkeys(r["distribution"] for r in vs))
    fig, axes = plt.subplots(1, len(vdists), figsize=(5 * len(vdists), 3.6))
    for ax, dist in zip(axes, vdists):
        for m in dict.fromkeys(r["method"] for r in vs):
            pts = [(int(r["n"]), float(r["abs_rel_err"])) for r in vs if r["distribution"] == dist and r["method"] == m]
            # Exact results (error 0) cannot sit on a log axis: draw them at the floor, hollow.
            floor = 1e-10
            ax.plot([p[0] for p in pts], [max(p[1], floor) for p in pts], marker="o", ms=3, label=m)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("n")
        ax.set_title(dist, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("|relative error| (0 drawn at 1e-10)")
    axes[-1].legend(fontsize=7)
    save(fig, out, "sum_vs_n.png")


BIN_ORDER = ["0", "1", "2", "3-4", "5-8", "9-16", "17-64", "65-256", ">256"]


def plot_kernels(out):
    hist = rows(os.path.join(out, "kernels_hist.csv"))
    passes = list(dict.fromkeys(r["pass"] for r in hist))
    threads = sorted({int(r["threads"]) for r in hist if r["device"] == "cpu"})
    cuda = any(r["device"] == "cuda" for r in hist)
    cols = 4
    nrows = math.ceil(len(passes) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4 * cols, 2.4 * nrows), squeeze=False)
    # Series: (label, device, mode, threads, colour); CUDA rows have threads 0.
    series = [("det (all runs)", "cpu", "deterministic", threads[0], "black")]
    cmap = plt.get_cmap("autumn")
    for j, t in enumerate(threads):
        series.append((f"fast {t}t", "cpu", "fast", t, cmap(j / max(1, len(threads)))))
    if cuda:
        series += [("cuda det", "cuda", "deterministic", 0, "tab:blue"), ("cuda fast", "cuda", "fast", 0, "tab:purple")]
    width = 0.8 / len(series)
    for idx, p in enumerate(passes):
        ax = axes[idx // cols][idx % cols]
        sel = [r for r in hist if r["pass"] == p and r["rep"] == "1"]
        used = [b for b in BIN_ORDER if any(int(r["count"]) > 0 for r in sel if r["bin"] == b)] or BIN_ORDER[:2]
        for k, (label, device, mode, t, color) in enumerate(series):
            counts = defaultdict(int)
            for r in sel:
                if r["device"] == device and r["mode"] == mode and int(r["threads"]) == t:
                    counts[r["bin"]] += int(r["count"])
            ax.bar([i + k * width for i in range(len(used))], [counts[b] for b in used], width, label=label, color=color)
        ax.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(used))])
        ax.set_xticklabels(used, fontsize=7)
        ax.set_yscale("symlog", linthresh=1)
        ax.set_title(p, fontsize=9)
    for idx in range(len(passes), nrows * cols):
        axes[idx // cols][idx % cols].axis("off")
    axes[0][0].legend(fontsize=6)
    fig.suptitle("ULP distance of each output element from the float64 reference (rep 1 of each configuration)")
    save(fig, out, "kernels_ulp_hist.png")

    res = rows(os.path.join(out, "kernels_results.csv"))
    configs = list(dict.fromkeys((r["device"], r["mode"], r["threads"], r["rep"]) for r in res))
    cell = {(r["pass"], r["device"], r["mode"], r["threads"], r["rep"]): r for r in res}
    counts = [[int(cell[(p,) + c]["differ_from_det1"]) for c in configs] for p in passes]
    # Colour is the fraction of the pass's outputs that differ (passes have 1 to 92,160 outputs).
    frac = [[v / max(1, int(cell[(p,) + configs[0]]["outputs"])) for v in row] for p, row in zip(passes, counts)]
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(configs) + 3), 0.35 * len(passes) + 1.8))
    im = ax.imshow(frac, aspect="auto", cmap="Reds", vmin=0, vmax=1)
    for i, row in enumerate(counts):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=6, color="black" if frac[i][j] < 0.5 else "white")
    ax.set_yticks(range(len(passes)))
    ax.set_yticklabels(passes, fontsize=7)
    ax.set_xticks(range(len(configs)))
    def config_label(device, mode, t, rep):
        m = "det" if mode == "deterministic" else mode
        return f"cuda {m} #{rep}" if device == "cuda" else f"{m} {t}t #{rep}"

    ax.set_xticklabels([config_label(*c) for c in configs], rotation=60, ha="right", fontsize=7)
    fig.colorbar(im, ax=ax, label="fraction of outputs != det 1-thread")
    ax.set_title("Output elements differing from the deterministic 1-thread result (numbers: count)")
    save(fig, out, "kernels_vs_det.png")


def positive(ys):
    """The values for a log axis: zeros (no distance) become gaps."""
    return [y if y > 0 else float("nan") for y in ys]


def finish_log_vs_step(fig, ax, out, png, ylabel, title, legend_size):
    """A distance against step on a log axis: labels, grid, legend, then the PNG."""
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=legend_size)
    save(fig, out, png)


def plot_training(out):
    steps = rows(os.path.join(out, "training_steps.csv"))
    runs = rows(os.path.join(out, "training_runs.csv"))
    names = [r["run"] for r in runs]
    kind = {r["run"]: r["kind"] for r in runs}
    color = {"ref": "black", "det": "tab:blue", "fast": "tab:red", "onebit": "tab:green"}

    def series(name, col):
        pts = [(int(r["step"]), float(r[col])) for r in steps if r["run"] == name]
        return [p[0] for p in pts], [p[1] for p in pts]

    fig, ax = plt.subplots(figsize=(8, 4.5))
    zero = []
    styles = ["-", "--", "-.", ":"]
    seen = defaultdict(int)
    for n in names:
        if kind[n] == "ref":
            continue
        xs, ys = series(n, "l2_to_ref")
        if all(y == 0 for y in ys):
            zero.append(n)
            continue
        style = styles[seen[kind[n]] % len(styles)]
        seen[kind[n]] += 1
        ax.plot(xs, positive(ys), color=color[kind[n]], lw=1.2, ls=style, label=n)
    if zero:
        ax.plot([], [], " ", label="distance 0 at every step: " + ", ".join(zero))
    finish_log_vs_step(fig, ax, out, "training_divergence.png", "L2 distance of all parameters to the reference",
                       "Divergence from the reference run (first deterministic run)", 7)

    fig, ax = plt.subplots(figsize=(8, 4))
    for n in names:
        xs, ys = series(n, "loss")
        ax.plot(xs, ys, color=color[kind[n]], lw=0.8, alpha=0.7, label=n)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    save(fig, out, "training_loss.png")

    fig, ax = plt.subplots(figsize=(7, 3.6))
    for i, r in enumerate(runs):
        acc = 100 * float(r["accuracy"])
        ax.scatter([i], [acc], color=color[r["kind"]], s=30)
        ax.annotate(f"{acc:.2f}%", (i, acc), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=7)
    ax.set_xticks(range(len(runs)))
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("Final test accuracy per run")
    ax.grid(alpha=0.3)
    save(fig, out, "training_accuracy.png")

    fig, ax = plt.subplots(figsize=(7, 4))
    for n in names:
        if kind[n] != "onebit":
            continue
        xs, ys = series(n, "l2_to_ref")
        ax.plot(xs, positive(ys), color=color["onebit"], label=n + ": L2")
        xs, ys = series(n, "maxabs_to_ref")
        ax.plot(xs, positive(ys), color=color["onebit"], ls="--", label=n + ": max |diff|")
    finish_log_vs_step(fig, ax, out, "training_onebit.png", "distance to the reference",
                       "Lowest mantissa bit of one fc1 weight flipped before step 0 (deterministic)", 8)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("sum", "kernels", "training"):
        sys.exit("usage: plot.py sum|kernels|training DIR")
    {"sum": plot_sum, "kernels": plot_kernels, "training": plot_training}[sys.argv[1]](sys.argv[2])


if __name__ == "__main__":
    main()
