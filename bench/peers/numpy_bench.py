"""numpy peer for bench/main.ts (bench/harness/numpy-column.ts): float32, one or two BLAS threads (the caller
sets OPENBLAS_NUM_THREADS and friends in this process's environment), timed by its own clock (time.perf_counter).

Usage: python3 numpy_bench.py MANIFEST.json  -> JSON on stdout.
The manifest lists tasks (gemm, softmax, attention, train) with their inputs as raw little-endian
float32 files written by bench/peers/numpy.ts (the same data simdnet and the other peers get). Each task: one
call whose output is written to task["output"] (the harness checks it against simdnet best's), then
single-call samples taken by the in-process rows' rule (bench_timing.py).

Differs from simdnet: numpy's ufuncs and BLAS (native, OpenBLAS's kernels for this CPU); the GEMM
and softmax write into preallocated outputs like simdnet, attention and the MLP step allocate their
intermediates each call; attention materializes the [h, T, T] scores (simdnet never does).
"""
import sys

import numpy as np

from bench_timing import run_manifest


def load(path, shape):
    return np.fromfile(path, dtype="<f4").reshape(shape)


def make_gemm(t):
    m, k, n = t["m"], t["k"], t["n"]
    a, b = load(t["a"], (m, k)), load(t["b"], (k, n))
    c = np.empty((m, n), dtype=np.float32)

    def run():
        np.matmul(a, b, out=c)

    return run, lambda: c


def make_softmax(t):
    rows, cols = t["rows"], t["cols"]
    x = load(t["x"], (rows, cols))
    y = np.empty_like(x)
    m = np.empty((rows, 1), dtype=np.float32)
    s = np.empty((rows, 1), dtype=np.float32)

    def run():
        np.max(x, axis=1, keepdims=True, out=m)
        np.subtract(x, m, out=y)
        np.exp(y, out=y)
        np.sum(y, axis=1, keepdims=True, out=s)
        np.divide(y, s, out=y)

    return run, lambda: y


def make_attention(t):
    T, d, h = t["T"], t["d"], t["h"]
    dh = d // h
    x = load(t["x"], (T, d))
    wq, wk, wv, wo = (load(t[k], (d, d)) for k in ("wq", "wk", "wv", "wo"))
    mask = np.triu(np.full((T, T), -1e9, dtype=np.float32), k=1)
    scale = np.float32(1.0 / np.sqrt(dh))
    out = {}

    def heads(w):
        return (x @ w).reshape(T, h, dh).transpose(1, 0, 2)

    def run():
        q, k, v = heads(wq), heads(wk), heads(wv)
        s = q @ k.transpose(0, 2, 1)
        s *= scale
        s += mask
        s -= s.max(axis=-1, keepdims=True)
        np.exp(s, out=s)
        s /= s.sum(axis=-1, keepdims=True)
        y = (s @ v).transpose(1, 0, 2).reshape(T, d)
        out["y"] = y @ wo

    return run, lambda: out["y"]


def make_train(t):
    sizes, batch, lr = t["sizes"], t["batch"], np.float32(t["lr"])
    layers = len(sizes) - 1
    ws = [load(t["w%d" % l], (sizes[l], sizes[l + 1])).copy() for l in range(layers)]
    bs = [load(t["b%d" % l], (sizes[l + 1],)).copy() for l in range(layers)]
    x = load(t["x"], (batch, sizes[0]))
    y = load(t["y"], (batch, sizes[-1]))
    state = {"first_loss": None}

    def run():
        acts = [x]
        a = x
        for l in range(layers):
            z = a @ ws[l]
            z += bs[l]
            a = np.maximum(z, 0) if l < layers - 1 else z
            acts.append(a)
        diff = a - y
        loss = float(np.mean(diff * diff))
        g = diff * np.float32(2.0 / diff.size)
        grads = [None] * layers
        for l in range(layers - 1, -1, -1):
            if l < layers - 1:
                g = g * (acts[l + 1] > 0)
            gw = acts[l].T @ g
            gb = g.sum(axis=0)
            if l > 0:
                g = g @ ws[l].T
            grads[l] = (gw, gb)
        for l in range(layers):
            ws[l] -= lr * grads[l][0]
            bs[l] -= lr * grads[l][1]
        if state["first_loss"] is None:
            state["first_loss"] = loss

    def result():
        parts = [np.array([state["first_loss"]], dtype=np.float32)]
        for l in range(layers):
            parts += [ws[l].ravel(), bs[l].ravel()]
        return np.concatenate(parts).astype(np.float32)

    return run, result


MAKERS = {"gemm": make_gemm, "softmax": make_softmax, "attention": make_attention, "train": make_train}


def blas_info():
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        return "%s %s" % (blas.get("name", "?"), blas.get("version", ""))
    except Exception as e:  # noqa: BLE001
        return "unknown (%s)" % e


def info():
    threads = None
    try:
        from threadpoolctl import threadpool_info  # optional

        threads = threadpool_info()
    except Exception:  # noqa: BLE001
        pass
    return {"numpy": np.__version__, "python": sys.version.split()[0], "blas": blas_info(), "threadpools": threads}


if __name__ == "__main__":
    run_manifest(sys.argv[1], MAKERS, info)
