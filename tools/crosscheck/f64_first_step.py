#!/usr/bin/python3
"""The first training step's gradient in float64, compared with lockstep's float32 gradient.

Recomputes, with numpy only, step 1 of `lockstep train --seed 1` (lr 0.01, momentum 0.5,
batch 32, dropout on): lockstep's initial weights, data order and dropout masks come from
torch_recipe.py's numpy Philox; forward and backward are written out by hand below. Checks:
  1. central finite differences (float64, eps 1e-6) of the analytic gradient at random elements;
  2. max|lockstep - f64| / max|f64| for all 8 gradients (lockstep's 'momentum.*' tensors in
     checkpoint after one step equal its gradient), next to the same distance for
     the identical computation done entirely in float32 by numpy;
  3. for conv1.weight (32 x 24 x 24 = 18,432 products per element): float32 sums of the exact
     products in several orders, and the condition sum|terms| / |sum| of that reduction.

Run from the repository root, with the checkpoint of one step (made if it is missing):
  build/lockstep train --max-steps 1 --checkpoint-every 1 --checkpoint-dir build/first-step -q
  /usr/bin/python3 tools/crosscheck/f64_first_step.py [build/first-step/last.safetensors]
"""
import os
import sys
import types

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view as windows

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
for stub in ("torch", "torch.nn", "torch.nn.functional"):  # torch_recipe imports torch at top level
    sys.modules.setdefault(stub, types.ModuleType(stub))
sys.modules["torch.nn"].Module = object
sys.modules["torch"].nn = sys.modules["torch.nn"]
sys.path.insert(0, HERE)
from torch_recipe import (CONV2_DROP_LAYER, FC1_DROP_LAYER, check_philox, lockstep_init,  # noqa: E402
                          lockstep_keep, lockstep_order, read_idx, read_safetensors)

SEED, BATCH = 1, 32
NAMES = ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
         "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


def pool(z):
    """2x2/2 max pool. Returns the pooled values and the index (0..3, row-major in the window)
    of the first maximum, plus how many windows hold a tied maximum."""
    n, c, h, w = z.shape
    win = z.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    arg = win.argmax(-1)  # numpy returns the first occurrence
    top = np.take_along_axis(win, arg[..., None], -1)[..., 0]
    return top, arg, int(((win == top[..., None]).sum(-1) > 1).sum())


def unpool(g, arg):
    n, c, h, w = g.shape
    win = np.zeros((n, c, h, w, 4), g.dtype)
    np.put_along_axis(win, arg[..., None], g[..., None], -1)
    return win.reshape(n, c, h, w, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, 2 * h, 2 * w)


def conv(x, w, b):  # valid convolution, stride 1; cols: (n, c, oh, ow, kh, kw)
    cols = windows(x, w.shape[2:], axis=(2, 3))
    return np.einsum("nchwij,ocij->nohw", cols, w) + b[None, :, None, None], cols


def forward(p, x, y, m2, m1):
    t = {}
    t["z1"], t["cols1"] = conv(x, p["conv1.weight"], p["conv1.bias"])
    t["p1"], t["arg1"], t["ties1"] = pool(t["z1"])
    t["a1"] = np.maximum(t["p1"], 0)
    t["z2"], t["cols2"] = conv(t["a1"], p["conv2.weight"], p["conv2.bias"])
    t["p2"], t["arg2"], t["ties2"] = pool(t["z2"] * m2[:, :, None, None])
    t["flat"] = np.maximum(t["p2"], 0).reshape(len(x), 320)
    t["z3"] = t["flat"] @ p["fc1.weight"].T + p["fc1.bias"]
    t["d3"] = np.maximum(t["z3"], 0) * m1
    z4 = t["d3"] @ p["fc2.weight"].T + p["fc2.bias"]
    zs = z4 - z4.max(1, keepdims=True)
    t["logp"] = zs - np.log(np.exp(zs).sum(1, keepdims=True))
    return -t["logp"][np.arange(len(x)), y].mean(), t


def backward(p, t, y, m2, m1):
    n, g = len(y), {}
    g4 = np.exp(t["logp"])
    g4[np.arange(n), y] -= 1
    g4 /= n                                                     # d loss / d fc2 output
    g["fc2.weight"], g["fc2.bias"] = g4.T @ t["d3"], g4.sum(0)
    gz3 = (g4 @ p["fc2.weight"]) * m1 * (t["z3"] > 0)           # through dropout and relu
    g["fc1.weight"], g["fc1.bias"] = gz3.T @ t["flat"], gz3.sum(0)
    gp2 = (gz3 @ p["fc1.weight"]).reshape(t["p2"].shape) * (t["p2"] > 0)
    gz2 = unpool(gp2, t["arg2"]) * m2[:, :, None, None]         # through pool, then dropout
    g["conv2.weight"] = np.einsum("nohw,nchwij->ocij", gz2, t["cols2"])
    g["conv2.bias"] = gz2.sum((0, 2, 3))
    ga1 = np.zeros_like(t["a1"])                                # transposed convolution
    w2 = p["conv2.weight"]
    for i in range(5):
        for j in range(5):
            ga1[:, :, i:i + 8, j:j + 8] += np.einsum("nohw,oc->nchw", gz2, w2[:, :, i, j])
    t["gz1"] = unpool(ga1 * (t["p1"] > 0), t["arg1"])
    g["conv1.weight"] = np.einsum("nohw,nchwij->ocij", t["gz1"], t["cols1"])
    g["conv1.bias"] = t["gz1"].sum((0, 2, 3))
    return g


def rel(a, b):  # max|a - b| / max|b|
    return float(np.max(np.abs(np.asarray(a, np.float64) - b)) / np.max(np.abs(b)))


def first_batch():
    """The seed-1 first batch, its dropout masks and initial weights, and the float64 step."""
    data = os.path.join(ROOT, "data", "mnist")
    images, labels = read_idx(data, "train-images-idx3-ubyte"), read_idx(data, "train-labels-idx1-ubyte")
    idx = lockstep_order(SEED, 0, len(images))[:BATCH]
    v = images[idx].astype(np.float32) / np.float32(255)
    x32 = (v - np.float32(0.1307)) / np.float32(0.3081)
    y = labels[idx].astype(np.int64)
    m2 = 2.0 * lockstep_keep(SEED, CONV2_DROP_LAYER, 0, BATCH * 20).reshape(BATCH, 20)
    m1 = 2.0 * lockstep_keep(SEED, FC1_DROP_LAYER, 0, BATCH * 50).reshape(BATCH, 50)
    init = lockstep_init(SEED)
    p64 = {k: init[k].astype(np.float64) for k in NAMES}
    loss, t = forward(p64, x32.astype(np.float64), y, m2, m1)
    g64 = backward(p64, t, y, m2, m1)
    return idx, x32, y, m2, m1, init, p64, loss, t, g64


def odd_pool_ties(t):
    """How many tied conv1 pool windows have tied positions that see different input patches."""
    # conv1's pool ties come from the constant background: check every tied window's tied
    # positions see identical 5x5 input patches, so the tie-break cannot change the gradient
    win = t["z1"].reshape(BATCH, 10, 12, 2, 12, 2).transpose(0, 1, 2, 4, 3, 5).reshape(BATCH, 10, 12, 12, 4)
    tied = win == win.max(-1, keepdims=True)
    pw = t["cols1"][:, 0].reshape(BATCH, 12, 2, 12, 2, 25).transpose(0, 1, 3, 2, 4, 5).reshape(BATCH, 1, 12, 12, 4, 25)
    ref = np.take_along_axis(pw, t["arg1"][:, :, :, :, None, None], 4)    # the patch of the chosen max
    return int(((tied[..., None] & (pw != ref)).any((-1, -2)) & (tied.sum(-1) > 1)).sum())


def load_checkpoint():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "first-step", "last.safetensors")
    if not os.path.exists(path):
        sys.exit(f"f64_first_step: no checkpoint {path}; make it with\n  build/lockstep train --max-steps 1 "
                 "--checkpoint-every 1 --checkpoint-dir build/first-step -q")
    return read_safetensors(path)


def print_batch(idx, y, t, m2, odd_ties, loss, meta):
    print(f"batch {idx[:6].tolist()}...; labels {y[:6].tolist()}...")
    print(f"pool ties (first max taken): conv1 {t['ties1']}, of which with differing patches {odd_ties}; "
          f"conv2 {t['ties2']} (dropped channels' windows: {16 * int((m2 == 0).sum())})")
    print(f"loss f64 {loss:.9f}; lockstep epoch_loss_sum {float.fromhex(meta['epoch_loss_sum']):.9f}")


def finite_differences(p64, x32, y, m2, m1, g64):
    """1. finite differences in float64 (masks and data fixed)."""
    rng, eps, worst_fd = np.random.default_rng(0), 1e-6, 0.0
    print("finite differences (eps 1e-6), worst |fd - analytic| / max(|analytic|, 1e-3 max|g|) per tensor:")
    for name in NAMES:
        worst = 0.0
        for flat_i in rng.choice(p64[name].size, min(4, p64[name].size), replace=False):
            e = np.unravel_index(flat_i, p64[name].shape)
            q = {k: a.copy() for k, a in p64.items()}
            q[name][e] += eps
            up = forward(q, x32.astype(np.float64), y, m2, m1)[0]
            q[name][e] -= 2 * eps
            down = forward(q, x32.astype(np.float64), y, m2, m1)[0]
            fd, an = (up - down) / (2 * eps), g64[name][e]
            worst = max(worst, abs(fd - an) / max(abs(an), 1e-3 * np.max(np.abs(g64[name]))))
        worst_fd = max(worst_fd, worst)
        print(f"  {name:14s} {worst:.2e}")
    print(f"finite differences: worst {worst_fd:.2e} -> {'PASS' if worst_fd < 1e-6 else 'FAIL'}")


def float32_baseline(init, meta, ck, x32, y, m2, m1):
    """2. the whole step in float32 (numpy's own summation orders), for a plain float32 baseline."""
    p32 = {k: init[k] for k in NAMES}
    _, t32 = forward(p32, x32, y, m2.astype(np.float32), m1.astype(np.float32))
    g32 = backward(p32, t32, y, m2.astype(np.float32), m1.astype(np.float32))
    lr = np.float32(float.fromhex(meta["lr"]))
    sanity = max(float(np.max(np.abs(init[k] - lr * ck["momentum." + k] - ck[k]))) for k in NAMES)
    print(f"checkpoint weights vs init - lr * momentum (float32): max abs diff {sanity:.2e}")
    return g32


def conv1_orders(t, g64, ck):
    """3. conv1.weight: the 18,432 exact products per element, summed in float32 in several orders."""
    terms = np.einsum("nohw,nhwij->oijnhw", t["gz1"], t["cols1"][:, 0])   # (10,5,5, 32,24,24)
    exact = g64["conv1.weight"][:, 0]
    terms32 = terms.reshape(10, 5, 5, 32, 576).astype(np.float32)
    orders = {
        "seq image-major": np.cumsum(terms32.reshape(10, 5, 5, -1), -1, dtype=np.float32)[..., -1],
        "seq position-major": np.cumsum(terms32.transpose(0, 1, 2, 4, 3).reshape(10, 5, 5, -1), -1,
                                        dtype=np.float32)[..., -1],
        "np.sum pairwise": terms32.reshape(10, 5, 5, -1).sum(-1, dtype=np.float32),
        "per-image then batch": np.cumsum(np.cumsum(terms32, -1, dtype=np.float32)[..., -1], -1,
                                          dtype=np.float32)[..., -1],
        "per-position then pos": np.cumsum(np.cumsum(terms32, -2, dtype=np.float32)[..., -1, :], -1,
                                           dtype=np.float32)[..., -1],
        # deliberately bad: all positive terms first, then all negative ones (sequential)
        "seq positives first": np.cumsum(-np.sort(-terms32.reshape(10, 5, 5, -1), -1), -1,
                                         dtype=np.float32)[..., -1],
    }
    # not a float32 order: the operands rounded to TF32 (10-bit mantissa), products summed in f64
    tf32 = lambda a: (a.astype(np.float32).view(np.uint32) + np.uint32(0x1000) & np.uint32(0xFFFFE000)
                      ).view(np.float32).astype(np.float64)
    orders["TF32 operands (f64 sum)"] = np.einsum("nohw,nchwij->ocij", tf32(t["gz1"]), tf32(t["cols1"]))[:, 0]
    cond = np.abs(terms).reshape(10, 5, 5, -1).sum(-1) / np.abs(exact)
    worst_e = np.unravel_index(np.argmax(cond), cond.shape)
    print(f"conv1.weight condition sum|terms|/|sum|: worst {cond.max():.3g} at (o,i,j)={tuple(int(i) for i in worst_e)} "
          f"(|g| {abs(exact[worst_e]):.3g}), median {np.median(cond):.3g}; max|g| {np.max(np.abs(exact)):.4g}; "
          f"sum|terms|/max|g| worst {(np.abs(terms).reshape(10, 5, 5, -1).sum(-1) / np.max(np.abs(exact))).max():.3g}")
    ls_err = np.abs(ck["momentum.conv1.weight"][:, 0].astype(np.float64) - exact)
    print(f"conv1.weight lockstep worst abs error {ls_err.max():.3e} at {tuple(int(i) for i in np.unravel_index(ls_err.argmax(), ls_err.shape))}")
    print("\nconv1.weight, float32 sums of the exact products (distance from f64):")
    print(f"  {'order':24s} {'max abs':>10s} {'rel max|g|':>11s}")
    for label, s in orders.items():
        print(f"  {label:24s} {np.max(np.abs(s - exact)):10.3e} {rel(s, exact):11.3e}")


def gradient_table(ck, g64, g32):
    print("\nmax|a - f64| / max|f64| per gradient (a = lockstep's momentum.*, or numpy all-float32):")
    print(f"  {'tensor':14s} {'max|f64|':>10s} {'lockstep':>10s} {'numpy f32':>10s} {'lockstep abs':>13s}")
    for k in NAMES:
        print(f"  {k:14s} {np.max(np.abs(g64[k])):10.3e} {rel(ck['momentum.' + k], g64[k]):10.3e} "
              f"{rel(g32[k], g64[k]):10.3e} {np.max(np.abs(ck['momentum.' + k] - g64[k])):13.3e}")
    print("  reference: PyTorch float32 (H100) vs lockstep, conv1.weight: 2.466e-05 abs (7.5e-4 relative)")


def main():
    check_philox()
    idx, x32, y, m2, m1, init, p64, loss, t, g64 = first_batch()
    odd_ties = odd_pool_ties(t)
    meta, ck = load_checkpoint()
    print_batch(idx, y, t, m2, odd_ties, loss, meta)
    finite_differences(p64, x32, y, m2, m1, g64)
    g32 = float32_baseline(init, meta, ck, x32, y, m2, m1)
    conv1_orders(t, g64, ck)
    gradient_table(ck, g64, g32)


if __name__ == "__main__":
    main()
