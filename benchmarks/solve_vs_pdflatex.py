"""Benchmark `backprop solve` (issue 3). Run: .venv/bin/python benchmarks/solve_vs_pdflatex.py

Wall time of `backprop solve problems/seed001_q1_sigmoid_sgd.yaml -o DIR` (to PDF, with
a warm derivation cache: the usual case) as a ratio to one bare
`pdflatex -interaction=nonstopmode -halt-on-error -no-shell-escape` run on the same .tex,
medians of several runs. Goal: at most 1.6.

The cold run (empty derivation cache: SymPy imported and run) is reported too.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PROBLEM = "problems/seed001_q1_sigmoid_sgd.yaml"
PDFLATEX = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape"]


def timed(cmd, cwd, env=None):
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def main(runs=9):
    backprop = BIN / "backprop"
    solve = ([str(backprop)] if backprop.exists() else [sys.executable, "-m", "backprop_solver"]) + ["solve", PROBLEM]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, BACKPROP_CACHE=str(tmp / "cache"))
        out = tmp / "out"
        cold = timed(solve + ["-o", str(out), "-q"], ROOT, env)  # fills the derivation cache
        tex = out / "seed001_q1_sigmoid_sgd.tex"
        latex_dir = tmp / "latex"
        latex_dir.mkdir()
        shutil.copy(tex, latex_dir / "doc.tex")
        timed(PDFLATEX + ["doc.tex"], latex_dir)  # warm the file cache
        t_solve, t_latex = [], []
        for _ in range(runs):  # interleaved, so that machine noise hits both alike
            t_solve.append(timed(solve + ["-o", str(out), "-q"], ROOT, env))
            t_latex.append(timed(PDFLATEX + ["doc.tex"], latex_dir))
    s, l = statistics.median(t_solve), statistics.median(t_latex)
    print(f"backprop solve (warm cache), {runs} runs: " + ", ".join(f"{t:.3f}" for t in t_solve) + " s")
    print(f"bare pdflatex, {runs} runs:               " + ", ".join(f"{t:.3f}" for t in t_latex) + " s")
    print(f"cold solve (empty derivation cache): {cold:.3f} s")
    print(f"median solve {s:.3f} s / median pdflatex {l:.3f} s = ratio {s / l:.2f} (goal: at most 1.6)")
    return s / l


if __name__ == "__main__":
    main()
