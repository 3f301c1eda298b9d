"""The sampling rule of the child-process peers (numpy_bench.py, torch_bench.py), the same as the
in-process rows' (bench/harness/timing.ts; described in bench/peers/child-run.ts): every sample is
one call; `rounds` rounds of (warm-up of warmup_ms, at least 2 calls, then samples until budget_ms
has passed, at least 2); a first call slower than slow_call_ms gets no warm-up and one sample per
round until the samples add up to slow_cap_ms; one slower than reuse_check_call_ms is not repeated."""
import json
import time

import numpy as np


def time_task(run, first_ms, s):
    if first_ms > s["reuse_check_call_ms"]:
        return [first_ms], "1 sample: the first call, no warm-up"
    samples = []
    slow = first_ms > s["slow_call_ms"]
    for _ in range(s["rounds"]):
        if slow:
            if samples and sum(samples) >= s["slow_cap_ms"]:
                break
            t0 = time.perf_counter()
            run()
            samples.append((time.perf_counter() - t0) * 1000)
            continue
        warm_end = time.perf_counter() + s["warmup_ms"] / 1000
        i = 0
        while i < 2 or time.perf_counter() < warm_end:
            run()
            i += 1
        end = time.perf_counter() + s["budget_ms"] / 1000
        i = 0
        while i < 2 or time.perf_counter() < end:
            t0 = time.perf_counter()
            run()
            samples.append((time.perf_counter() - t0) * 1000)
            i += 1
    return samples, None


def run_manifest(manifest_path, makers, info):
    """Runs every task of the manifest with `makers[kind](task) -> (run, result)`; prints the JSON."""
    manifest = json.load(open(manifest_path))
    results = []
    for t in manifest["tasks"]:
        r = {"id": t["id"]}
        try:
            if t["kind"] not in makers:
                raise ValueError("no %s workload in this peer" % t["kind"])
            run, result = makers[t["kind"]](t)
            t0 = time.perf_counter()
            run()
            first = (time.perf_counter() - t0) * 1000
            np.asarray(result(), dtype=np.float32).ravel().tofile(t["output"])
            r["output"] = t["output"]
            samples, note = time_task(run, first, manifest["sampling"])
            r["samples_ms"] = samples
            if note:
                r["note"] = note
        except Exception as e:  # noqa: BLE001
            r["error"] = "%s: %s" % (type(e).__name__, e)
        results.append(r)
    print(json.dumps({"info": info(), "tasks": results}))
