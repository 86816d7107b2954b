"""Benchmark the trace path (issue 2). Run: .venv/bin/python benchmarks/trace_speed.py

(a) wall time of `backprop trace problems/seed001_q1_sigmoid_sgd.yaml` as a ratio to
    `python -c "import numpy"`, medians of several runs (goal: at most 1.5);
(b) time to trace one batch update of a 784-128-10 network on 256 samples, the
    spec check included and excluded (goal: under 50 ms).
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def wall(cmd, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def startup_ratio(runs=21):
    backprop = BIN / "backprop"
    cmd = [str(backprop)] if backprop.exists() else [sys.executable, "-m", "backprop_solver"]
    trace = cmd + ["trace", "problems/seed001_q1_sigmoid_sgd.yaml"]
    numpy = [sys.executable, "-c", "import numpy"]
    wall(trace, 3), wall(numpy, 3)  # warm the file cache
    t_trace, t_numpy = wall(trace, runs), wall(numpy, runs)
    return t_trace, t_numpy


def big_batch(runs=15):
    from backprop_solver import spec, trace
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (256, 784)).round(3)
    labels = rng.integers(0, 10, 256)
    data = {"network": {"sizes": [784, 128, 10], "activation": ["relu", "softmax"],
                        "weights": {"random": {"seed": 1, "low": -0.05, "high": 0.05}}},
            "loss": "cross_entropy", "learning_rate": 0.1, "update": "batch", "reduction": "mean",
            "data": [{"x": x.tolist(), "y": int(c)} for x, c in zip(X, labels)]}
    with_spec, trace_only = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = spec.parse(data, "big.yaml")
        t1 = time.perf_counter()
        trace.trace(p)
        t2 = time.perf_counter()
        with_spec.append(t2 - t0)
        trace_only.append(t2 - t1)
    return statistics.median(trace_only), statistics.median(with_spec)


def main():
    t_trace, t_numpy = startup_ratio()
    print(f"(a) backprop trace seed001 q1: {t_trace * 1000:.1f} ms; python -c 'import numpy': "
          f"{t_numpy * 1000:.1f} ms; ratio {t_trace / t_numpy:.2f} (goal <= 1.5)")
    t_only, t_all = big_batch()
    print(f"(b) 784-128-10, batch of 256, one update: trace {t_only * 1000:.1f} ms, "
          f"spec check + trace {t_all * 1000:.1f} ms (goal < 50 ms)")


if __name__ == "__main__":
    main()
