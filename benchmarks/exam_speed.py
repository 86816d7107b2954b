"""Benchmark `backprop exam` (issue 14). Run: .venv/bin/python benchmarks/exam_speed.py

1. The example sheet (problems/exam/midterm.yaml: 4 variants of 2 problems, to PDF)
   against one `backprop solve` of a single problem (each of its two problems' first
   variant: the layered q1, and the graph q2, which needs SymPy as the sheet does), all
   as whole processes with a warm derivation cache, medians of interleaved runs.
   Goal: at most 4x.
2. The same sheet with 30 variants: its wall time, and the time per variant.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SHEET = ROOT / "problems" / "exam" / "midterm.yaml"


def timed(cmd, env):
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL)
    return time.perf_counter() - t


def main(runs=5):
    backprop = BIN / "backprop"
    cmd = [str(backprop)] if backprop.exists() else [sys.executable, "-m", "backprop_solver"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, BACKPROP_CACHE=str(tmp / "cache"))
        exam = cmd + ["exam", str(SHEET), "-o", str(tmp / "exam"), "-q"]
        timed(exam, env)  # fills the derivation cache; writes the variant files
        singles = {q: cmd + ["solve", str(tmp / "exam" / "variants" / "1" / f"{q}.yaml"), "-o", str(tmp / "one"), "-q"]
                   for q in ("q1_sigmoid_sgd", "q2_shared_parameters")}
        for single in singles.values():
            timed(single, env)
        t_exam, t_one = [], {q: [] for q in singles}
        for _ in range(runs):  # interleaved, so that machine noise hits all alike
            t_exam.append(timed(exam, env))
            for q, single in singles.items():
                t_one[q].append(timed(single, env))
        e = statistics.median(t_exam)
        print(f"backprop exam (4 variants x 2 problems), {runs} runs: " + ", ".join(f"{t:.2f}" for t in t_exam) + " s")
        for q, ts in t_one.items():
            o = statistics.median(ts)
            print(f"backprop solve {q} (one problem), {runs} runs: " + ", ".join(f"{t:.2f}" for t in ts)
                  + f" s; median {e:.2f} s / {o:.2f} s = ratio {e / o:.2f} (goal: at most 4)")
        o = statistics.median(t_one["q1_sigmoid_sgd"])

        sheet = yaml.safe_load(SHEET.read_text())
        sheet["variants"] = 30
        big = SHEET.parent / ".bench_30.yaml"  # beside the problem files it names
        try:
            big.write_text(yaml.safe_dump(sheet))
            t30 = timed(cmd + ["exam", str(big), "-o", str(tmp / "exam30"), "-q"], env)
        finally:
            big.unlink()
        pages = subprocess.run(["pdfinfo", str(tmp / "exam30" / "solutions.pdf")], capture_output=True,
                               text=True).stdout
        pages = next((l.split()[-1] for l in pages.splitlines() if l.startswith("Pages")), "?")
        print(f"backprop exam, 30 variants x 2 problems: {t30:.2f} s ({t30 / 30:.2f} s a variant; "
              f"solutions.pdf {pages} pages)")
    return e / o


if __name__ == "__main__":
    main()
