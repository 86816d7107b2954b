"""Benchmark graph problems (issue 9). Run: .venv/bin/python benchmarks/graph_speed.py

Wall time of `backprop trace` and `backprop solve` (to PDF) for every seed graph problem
in problems/ and for the cases that used to hang (written to a temporary folder), each
as a ratio to `python -c "import sympy"` measured in the same run (medians of a few
runs; a case that did not finish within LIMIT seconds is shown as such). Goals on the
2-core machine: trace at most 5 s and solve at most 15 s for every case.

    --runs N     runs per command (default 3)
    --quick      one run each, no solve of the seed problems twice
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LIMIT = 120  # seconds before a run is stopped and reported as a hang

BASE3 = (ROOT / "problems" / "seed003_ex3_tanh_multilayer.yaml").read_text()


def hang_cases():
    """{name: YAML text} of the graph problems that took minutes (or all memory) before."""
    cases = {}
    cases["ex3 with z5: 1"] = BASE3.replace("z5: a3*w35 + a4*w45", "z5: 1")
    cases["tanh chain, log cosh (symbolic)"] = """graph:
  inputs: [x]
  targets: [t]
  parameters: [w1, w2, w3]
  define:
    h1: tanh(w1*x)
    h2: tanh(w2*h1)
    h3: tanh(w3*h2)
  loss: log(cosh(h3 - t))
"""
    cases["tanh chain, log cosh (numbers)"] = """graph:
  inputs: {x: 0.5}
  targets: {t: 0.2}
  parameters: {w1: 0.3, w2: -0.7, w3: 1.1}
  define:
    h1: tanh(w1*x)
    h2: tanh(w2*h1)
    h3: tanh(w3*h2)
  loss: log(cosh(h3 - t))
"""
    cases["five nodes of Abs, exp, tanh"] = """graph:
  inputs: [x]
  targets: [t]
  parameters: [w, v]
  define:
    a: Abs(w*x - v)
    b: exp(a*w)
    c: tanh(b - v)
    d: Abs(c*x + w)
    e: exp(-d*v) + tanh(a*c)
  loss: (e - t)**2
"""
    cases["nested tanh(sinh(sigmoid(...)))"] = """graph:
  inputs: [x1, x2]
  targets: [t]
  parameters: [w1]
  define:
    h0: Abs(relu(sin(x2) + x1 + 1))
    h3: relu(sin(x1/(1 + 0.25**2)))
    h5: sigmoid(x2/(1 + (h0**2 - cosh(x2))**2))
    h6: log(1 + x1**2) - (h3 - h5 + 0.25)*h3**3/(1 + x1**2)
    h8: relu(sinh(2/(1 + 0.1**2) + log(1 + x1**2)))
    h10: tanh(sinh(h6/(1 + (h5 - x1)**2)))
    h11: h8*(x2/(1 + h8**2) + 2 - h10) - tanh(h8)**3
  loss: (h11 - t)**2 + log(cosh(h10 - t))
  derivatives: [w1, h0, h3]
"""
    cases["nested sinh, cosh and tanh, seven derivatives"] = """graph:
  inputs: [x1]
  targets: [t]
  parameters: [w1, w2, w3]
  define:
    h0: Abs(sinh(w2*w2*(1 + x1**2)**0.5) + w1 - log(1 + 0.1**2) - cosh(w2)**2) + w1
    h1: w1
    h2: sinh(log(1 + log(1 + w1**2)**2)/(1 + (1 + (1 - w2)/(1 + (h0 - x1)**2))**2))**2
    h3: tanh(cos(sinh(sinh(w1 - 0.5*h0))))
  loss: (h3 - t)**2 + log(cosh(h2 - t))
  derivatives: [w1, w2, w3, h0, h1, h2, h3]
"""
    lines = ["graph:", "  inputs: {x: 0.5}", "  parameters: {w: 0.3}", "  targets: {t: 1}",
             "  define:", "    a0: w*x", "    b0: w + x", "    y: (a0 - t)**2"]
    for i in range(1, 31):
        lines += [f"    a{i}: a{i - 1} + b{i - 1}", f"    b{i}: a{i - 1} - b{i - 1}"]
    cases["30-level diamond of sums, E before it"] = "\n".join(lines + ["  loss: y", ""])
    cases["30-level diamond of sums into E"] = "\n".join(lines + ["  loss: y + a30 + b30", ""])
    cases["(w + x)**(9**9) (refused)"] = """graph:
  inputs: {x: 0.5}
  parameters: {w: 0.3}
  define:
    y: (w + x)**(9**9)
  loss: y
"""
    params = ", ".join(f"u{i}: {0.1 * i:.1f}, v{i}: {-0.3 + 0.07 * i:.2f}, c{i}: {0.5 - 0.1 * i:.1f}"
                       for i in range(1, 11))
    lines = ["graph:", "  inputs: [x1, x2]", "  parameters: {" + params + "}", "  define:"]
    lines += [f"    h{i}: relu(u{i}*x1 + v{i}*x2 + c{i})" for i in range(1, 11)]
    lines += ["    y: " + " + ".join(f"{(-1) ** i}*h{i}" for i in range(1, 11)) + " - 0.5",
              "  boundary: y", ""]
    cases["ten ReLUs with boundary"] = "\n".join(lines)
    return cases


def timed(cmd):
    """(seconds, exit code); exit code None when the run was stopped after LIMIT seconds."""
    t = time.perf_counter()
    try:
        run = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL, timeout=LIMIT)
        code = run.returncode
    except subprocess.TimeoutExpired:
        code = None
    return time.perf_counter() - t, code


def median_of(cmd, runs):
    results = [timed(cmd) for _ in range(runs)]
    if any(code is None for _, code in results):
        return None, None
    return statistics.median(t for t, _ in results), results[0][1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    runs = 1 if args.quick else args.runs
    backprop = BIN / "backprop"
    cmd = [str(backprop)] if backprop.exists() else [sys.executable, "-m", "backprop_solver"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        problems = [(p.name, p) for p in sorted((ROOT / "problems").glob("seed003_*.yaml"))]
        for i, (name, text) in enumerate(hang_cases().items()):
            path = tmp / f"case{i}.yaml"
            path.write_text(text)
            problems.append((name, path))
        baseline = [sys.executable, "-c", "import sympy"]
        timed(baseline)  # warm the file cache
        base, _ = median_of(baseline, max(runs, 3))
        print(f"baseline: python -c 'import sympy' {base:.2f} s (median of {max(runs, 3)})")
        print(f"{'problem':<42} {'trace s':>8} {'ratio':>6} {'solve s':>8} {'ratio':>6}  exit")
        worst_trace = worst_solve = 0.0
        for name, path in problems:
            tr, code = median_of(cmd + ["trace", str(path)], runs)
            sv, _ = median_of(cmd + ["solve", str(path), "-o", str(tmp / "out"), "-q"], runs)
            cell = (lambda t: f"{'>' + str(LIMIT):>8} {'':>6}" if t is None else f"{t:8.2f} {t / base:6.1f}")
            print(f"{name[:42]:<42} {cell(tr)} {cell(sv)}  {code}")
            worst_trace = max(worst_trace, tr if tr is not None else float("inf"))
            worst_solve = max(worst_solve, sv if sv is not None else float("inf"))
    print(f"slowest trace {worst_trace:.2f} s (goal <= 5), slowest solve {worst_solve:.2f} s (goal <= 15)")
    return 0 if worst_trace <= 5 and worst_solve <= 15 else 1


if __name__ == "__main__":
    sys.exit(main())
