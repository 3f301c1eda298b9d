"""PyTorch CPU peer for bench/main.ts (bench/harness/numpy-column.ts): the MLP training step and the GPT
training step, float32, torch.set_num_threads(N) (N from the manifest's task, 1 or 2) and one
inter-op thread, timed by time.perf_counter with the in-process rows' sampling rule (bench_timing.py).
Run with /usr/bin/python3 (Debian's python3-torch 1.13 with libopenblas0-pthread, installed by
bench/tools/install-peers.sh).

Like-for-like models, from simdnet's initial weights:
  MLP: ReLU hidden layers, linear output, loss mean((a - y)^2) over all elements, one SGD step
       (torch.optim.SGD, foreach); weights [in, out] as simdnet's, torch.addmm for each layer.
  GPT: simdnet's GPT (bench/peers/tfjs-gpt.ts has the formulas): token embedding * sqrt(d) + the
       sinusoidal table, pre-LN blocks (fused W_qkv, causal softmax attention with an additive -1e9
       mask, W_o; GELU tanh MLP), final LN, tied unembedding; mean cross-entropy; autograd; global-norm
       clipping; torch.optim.AdamW (betas 0.9, 0.95, eps 1e-8, decay only on simdnet's decayed
       parameters, foreach) at the trainer's learning rate of each step.

Differs from simdnet: native kernels (OpenBLAS sgemm, ATen's vectorized ops, its own thread pool);
autograd keeps every intermediate and allocates per op (simdnet reuses preallocated buffers and runs
fused LN/attention kernels); attention materializes the [B, h, T, T] scores; clip_grad_norm_ divides by
(norm + 1e-6) where simdnet divides by the norm.
"""
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

from bench_timing import run_manifest


def load(path, shape, dtype="<f4"):
    return torch.from_numpy(np.fromfile(path, dtype=dtype).reshape(shape).copy())


def make_train(t):
    sizes, batch, lr = t["sizes"], t["batch"], t["lr"]
    layers = len(sizes) - 1
    ws = [load(t["w%d" % l], (sizes[l], sizes[l + 1])).requires_grad_() for l in range(layers)]
    bs = [load(t["b%d" % l], (sizes[l + 1],)).requires_grad_() for l in range(layers)]
    x = load(t["x"], (batch, sizes[0]))
    y = load(t["y"], (batch, sizes[-1]))
    params = [p for pair in zip(ws, bs) for p in pair]
    opt = torch.optim.SGD(params, lr=lr, foreach=True)
    state = {"first_loss": None}

    def run():
        a = x
        for l in range(layers):
            a = torch.addmm(bs[l], a, ws[l])
            if l < layers - 1:
                a = torch.relu(a)
        loss = F.mse_loss(a, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if state["first_loss"] is None:
            state["first_loss"] = loss.item()

    def result():
        with torch.no_grad():
            return torch.cat([torch.tensor([state["first_loss"]])] + [p.detach().ravel() for p in params]).numpy()

    return run, result


class Gpt:
    def __init__(self, t):
        self.V, self.T, self.d, self.h, self.layers = t["vocab"], t["seq"], t["d"], t["heads"], t["layers"]
        self.names = t["names"].split(",")
        shapes = t["shapes"]  # flattened: rank, dims..., per parameter
        self.params, i = {}, 0
        for k, name in enumerate(self.names):
            rank = shapes[i]
            shape = shapes[i + 1:i + 1 + rank]
            i += 1 + rank
            self.params[name] = load(t["p%d" % k], shape).requires_grad_()
        self.initial = {n: p.detach().clone() for n, p in self.params.items()}
        self.decays = [bool(v) for v in t["decays"]]
        self.pe = load(t["pe"], (self.T, self.d)) if "pe" in t else None
        self.mask = torch.triu(torch.full((self.T, self.T), -1e9), diagonal=1)
        self.clip, self.wd = t["clip_norm"], t["weight_decay"]
        self.lrs = load(t["lrs"], (-1,)).tolist()
        self.new_optimizer()

    def new_optimizer(self):
        ps = [self.params[n] for n in self.names]
        groups = [
            {"params": [p for p, dec in zip(ps, self.decays) if dec], "weight_decay": self.wd},
            {"params": [p for p, dec in zip(ps, self.decays) if not dec], "weight_decay": 0.0},
        ]
        self.opt = torch.optim.AdamW(groups, lr=0.0, betas=(0.9, 0.95), eps=1e-8, foreach=True)
        self.step_no = 0

    def ln(self, x, prefix):
        return F.layer_norm(x, (self.d,), self.params[prefix + ".gamma"], self.params[prefix + ".beta"], 1e-5)

    def dense(self, x, prefix):
        return torch.addmm(self.params[prefix + ".bias"], x, self.params[prefix + ".weights"])

    def loss(self, ids, targets, batch):
        d, h, T = self.d, self.h, ids.numel() // batch
        dh = d // h
        wte = self.params["wte"]
        if "wpe" in self.params:  # learned positions: no scaling (simdnet's rule)
            x = F.embedding(ids, wte).view(batch, T, d) + self.params["wpe"][:T]
        else:
            x = (F.embedding(ids, wte) * math.sqrt(d)).view(batch, T, d) + self.pe[:T]
        x = x.view(batch * T, d)
        for l in range(self.layers):
            b = "blocks.%d" % l
            qkv = self.dense(self.ln(x, b + ".ln1"), b + ".attn.qkv")
            q, k, v = (z.reshape(batch, T, h, dh).transpose(1, 2) for z in qkv.split(d, dim=1))
            s = torch.baddbmm(self.mask[:T, :T].expand(batch * h, T, T), q.reshape(batch * h, T, dh), k.reshape(batch * h, T, dh).transpose(1, 2), alpha=1 / math.sqrt(dh))
            y = torch.bmm(torch.softmax(s, dim=-1), v.reshape(batch * h, T, dh)).view(batch, h, T, dh).transpose(1, 2).reshape(batch * T, d)
            x = x + self.dense(y, b + ".attn.out")
            z = self.dense(self.ln(x, b + ".ln2"), b + ".mlp.fc")
            x = x + self.dense(F.gelu(z, approximate="tanh"), b + ".mlp.proj")
        logits = self.ln(x, "ln_f") @ (wte.t() if "wu" not in self.params else self.params["wu"])
        return F.cross_entropy(logits, targets)

    def grads(self, ids, targets, batch):
        for p in self.params.values():
            p.grad = None
        loss = self.loss(ids, targets, batch)
        loss.backward()
        return loss.item()

    def step(self, lr):
        torch.nn.utils.clip_grad_norm_([self.params[n] for n in self.names], self.clip)
        for g in self.opt.param_groups:
            g["lr"] = lr
        self.opt.step()

    def reset(self):
        with torch.no_grad():
            for n, p in self.params.items():
                p.copy_(self.initial[n])
        self.new_optimizer()


def make_gpt_train(t):
    m = Gpt(t)
    batch = t["batch"]
    ids = load(t["ids"], (-1,), "<i4").long()
    targets = load(t["targets"], (-1,), "<i4").long()
    given = [load(t["g%d" % k], m.params[n].shape) for k, n in enumerate(m.names)]
    # The check (as the in-process peers': bench/workloads/gpt-train.ts): loss and gradients on the first
    # batch from the initial weights, then clip + AdamW from simdnet's gradients from the initial weights.
    loss = m.grads(ids, targets, batch)
    check = [torch.tensor([loss])] + [m.params[n].grad.detach().ravel().clone() for n in m.names]
    m.reset()
    for n, g in zip(m.names, given):
        m.params[n].grad = g.clone()
    m.step(m.lrs[0])
    check += [m.params[n].detach().ravel().clone() for n in m.names]
    output = torch.cat(check).numpy()
    # Timed: full steps continuing the schedule from step 2 (the check left the model after step 1).
    state = {"step": 1}

    def run():
        state["step"] += 1
        m.grads(ids, targets, batch)
        m.step(m.lrs[min(state["step"], len(m.lrs)) - 1])

    return run, lambda: output


def info():
    return {"torch": torch.__version__, "python": sys.version.split()[0], "threads": torch.get_num_threads(), "blas": blas_info()}


def blas_info():
    # The BLAS torch was built against (Debian: the generic libblas.so.3 alternative, which
    # libopenblas0-pthread provides; without it, the reference BLAS, about 6x slower).
    cfg = torch.__config__.show()
    line = next((x.strip() for x in cfg.split("\n") if "BLAS_INFO" in x), "BLAS_INFO=?")
    import subprocess
    try:
        alt = subprocess.run(["update-alternatives", "--query", "libblas.so.3-x86_64-linux-gnu"], capture_output=True, text=True).stdout
        value = next((x.split(":", 1)[1].strip() for x in alt.split("\n") if x.startswith("Value:")), "?")
    except Exception:  # noqa: BLE001
        value = "?"
    return "%s, libblas.so.3 -> %s" % (line.split(",")[0], value)


if __name__ == "__main__":
    # Usage: /usr/bin/python3 torch_bench.py THREADS MANIFEST.json  -> JSON on stdout.
    torch.set_num_threads(int(sys.argv[1]))
    torch.set_num_interop_threads(1)
    run_manifest(sys.argv[2], {"train": make_train, "gpt-train": make_gpt_train}, info)
