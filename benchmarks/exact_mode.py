"""Benchmark exact mode (issue 9). Run: .venv/bin/python benchmarks/exact_mode.py

For each layered problem in problems/ and for a problem at the exact-mode limit
(EXACT_NUMBERS numbers in its trace, the worst case), the time of trace() in exact mode
and in float64 mode, medians of several runs in this process, and their ratio; then the
whole `backprop trace` command on seed 001 q1 against `python -c "import numpy"`.
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backprop_solver import spec, trace as tr  # noqa: E402


def median_ms(f, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def limit_problem():
    """A 4-6-3 sigmoid/softmax network, SGD over 12 samples, as many passes as fit."""
    data = {"network": {"sizes": [4, 6, 3], "activation": ["sigmoid", "softmax"],
                        "weights": {"random": {"seed": 1}}, "biases": 0.1},
            "loss": "cross_entropy", "learning_rate": 0.5,
            "data": [{"x": [0.1 * ((i + j) % 7) for j in range(4)], "y": i % 3} for i in range(12)]}
    p = spec.parse(data, "limit.yaml")
    per_pass = tr.count_numbers(p)
    data["steps"] = max(1, tr.EXACT_NUMBERS // per_pass)
    return spec.parse(data, "limit.yaml")


def main():
    rows = []
    problems = []
    for f in sorted((ROOT / "problems").glob("*.yaml")):
        data = spec.read_yaml(f)
        if "graph" not in data:
            problems.append((f.stem, spec.parse(data, f)))
    problems.append(("at the limit (%d numbers)" % tr.count_numbers(limit_problem()), limit_problem()))
    print(f"{'problem':44s} {'numbers':>8s} {'float ms':>9s} {'exact ms':>9s} {'ratio':>7s} {'digits':>6s}")
    for name, p in problems:
        runs = 3 if tr.count_numbers(p) > 2000 else 9
        fl = median_ms(lambda: tr.trace(p, exact=False), runs)
        ex = median_ms(lambda: tr.trace(p, exact=True), runs)
        digits = tr.trace(p).digits
        rows.append((name, ex / fl))
        print(f"{name:44s} {tr.count_numbers(p):8d} {fl:9.2f} {ex:9.1f} {ex / fl:7.0f} {digits:6d}")

    def wall(cmd, runs=7):
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - t)
        return 1000 * statistics.median(times)

    bin_ = Path(sys.executable).parent
    base = wall([sys.executable, "-c", "import numpy"])
    cmd = wall([str(bin_ / "backprop"), "trace", "problems/seed001_q1_sigmoid_sgd.yaml"])
    print(f"\nbackprop trace seed001 q1 (exact mode): {cmd:.1f} ms; python -c 'import numpy': {base:.1f} ms; "
          f"ratio {cmd / base:.2f}")


if __name__ == "__main__":
    main()
