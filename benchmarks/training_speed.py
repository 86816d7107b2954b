"""Benchmark a training run (issue 13). Run: .venv/bin/python benchmarks/training_speed.py

1. Speed: `backprop trace` of a summary run (1,500 batch steps of a 2-8-1 tanh/sigmoid
   network with binary cross-entropy on 150 two-moons points, loss and accuracy after
   each step) against a plain NumPy script doing the same work (same points, same
   updates, loss and accuracy after each step), both as whole processes (start-up,
   imports and reading included), medians of interleaved runs. Goal: ratio at most 3.
2. Memory: the peak resident size of `backprop trace` of the same problem for 1,000 and
   10,000 steps (it must not grow with the number of steps beyond the history itself).
3. Documents: `backprop solve` to PDF of the 200-point, 1,500-epoch two-moons run (goal:
   under 5 s) and of the spiral comparison.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
#: documents whose build is timed: the 200-point, 1,500-epoch run (goal: under 5 s) and
#: the three-run comparison
DOCUMENTS = ("seed000_ex2_two_moons_training.yaml", "seed000_ex3_spiral_regularization.yaml")
PROBLEM = """\
network: {{sizes: [2, 8, 1], activation: [tanh, sigmoid], weights: {{random: {{seed: 1, low: -0.5, high: 0.5}}}}}}
loss: binary_cross_entropy
learning_rate: 0.5
dataset:
  moons: {{n: 150, noise: 0.2, seed: 3}}
update: batch
reduction: mean
steps: {steps}
record: summary
"""

PLAIN = """\
import json, sys
import numpy as np

def make_moons(n, noise, seed):  # scikit-learn's, as solver.datasets
    rng = np.random.RandomState(seed)
    n_out, n_in = n // 2, n - n // 2
    X = np.vstack([np.append(np.cos(np.linspace(0, np.pi, n_out)), 1 - np.cos(np.linspace(0, np.pi, n_in))),
                   np.append(np.sin(np.linspace(0, np.pi, n_out)), 1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5)]).T
    y = np.hstack([np.zeros(n_out), np.ones(n_in)])
    order = rng.permutation(n)
    X, y = X[order], y[order]
    return X + rng.normal(scale=noise, size=X.shape), y

X, y = make_moons(150, 0.2, 3)
X, y = X.T, y[None, :]
rng = np.random.default_rng(1)
W1, W2 = rng.uniform(-0.5, 0.5, (8, 2)), rng.uniform(-0.5, 0.5, (1, 8))
b1, b2 = np.zeros((8, 1)), np.zeros((1, 1))
n, eta = X.shape[1], 0.5
history = []

def loss_acc():
    a1 = np.tanh(W1 @ X + b1)
    z2 = W2 @ a1 + b2
    yhat = 1 / (1 + np.exp(-z2))
    loss = float(np.mean(np.logaddexp(0, -z2) * y + np.logaddexp(0, z2) * (1 - y)))
    return loss, float(np.mean((yhat >= 0.5) == y))

history.append(loss_acc())
for step in range({steps}):
    a1 = np.tanh(W1 @ X + b1)
    yhat = 1 / (1 + np.exp(-(W2 @ a1 + b2)))
    d2 = yhat - y
    d1 = (W2.T @ d2) * (1 - a1 ** 2)
    W2 -= eta * d2 @ a1.T / n; b2 -= eta * d2.mean(axis=1, keepdims=True)
    W1 -= eta * d1 @ X.T / n; b1 -= eta * d1.mean(axis=1, keepdims=True)
    history.append(loss_acc())
print(json.dumps({{"history": history, "W": [W1.tolist(), W2.tolist()]}}))
"""


def run(cmd):
    """Wall time of a whole process (its output discarded)."""
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def peak_rss_mb(cmd):
    """Peak resident memory (MB) of a whole process, measured by a fresh wrapper process."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True);"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True, check=True)
    return int(out.stdout) / 1024


def main(runs=7):
    backprop = BIN / "backprop"
    trace = [str(backprop)] if backprop.exists() else [sys.executable, "-m", "backprop_solver"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        problem = tmp / "moons.yaml"
        problem.write_text(PROBLEM.format(steps=1500))
        plain = tmp / "plain.py"
        plain.write_text(PLAIN.format(steps=1500))
        ours_cmd, plain_cmd = trace + ["trace", str(problem)], [sys.executable, str(plain)]
        run(ours_cmd), run(plain_cmd)  # warm the file cache
        t_ours, t_plain = [], []
        for _ in range(runs):  # interleaved, so that machine noise hits both alike
            t_ours.append(run(ours_cmd))
            t_plain.append(run(plain_cmd))
        o, p = statistics.median(t_ours), statistics.median(t_plain)
        print(f"backprop trace (summary, 1,500 steps), {runs} runs: " + ", ".join(f"{t:.3f}" for t in t_ours) + " s")
        print(f"plain NumPy loop, {runs} runs:                   " + ", ".join(f"{t:.3f}" for t in t_plain) + " s")
        print(f"median {o:.3f} s / {p:.3f} s = ratio {o / p:.2f} (goal: at most 3)")
        ours = json.loads(subprocess.run(ours_cmd, capture_output=True, text=True, check=True).stdout)
        theirs = json.loads(subprocess.run(plain_cmd, capture_output=True, text=True, check=True).stdout)
        print(f"the same work: final loss {ours['history'][-1]['loss']:.12f} (backprop) and "
              f"{theirs['history'][-1][0]:.12f} (plain loop)")
        for steps in (1_000, 10_000):
            problem.write_text(PROBLEM.format(steps=steps))
            print(f"peak memory of backprop trace, {steps:,} steps: {peak_rss_mb(ours_cmd):.0f} MB")
        env = dict(os.environ, BACKPROP_CACHE=str(tmp / "cache"))
        for name in DOCUMENTS:
            solve = trace + ["solve", str(ROOT / "problems" / name), "-o", str(tmp / "out"), "-q"]
            subprocess.run(solve, env=env, check=True, capture_output=True)  # fills the derivation cache
            times = []
            for _ in range(3):
                t = time.perf_counter()
                subprocess.run(solve, env=env, check=True, capture_output=True)
                times.append(time.perf_counter() - t)
            print(f"backprop solve {name} (to PDF, warm cache): median {statistics.median(times):.2f} s")
    return o / p


if __name__ == "__main__":
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("(PYTHONDONTWRITEBYTECODE is set: run `python -m compileall -q solver` first for fair start-up)")
    main()
