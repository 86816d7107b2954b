"""Benchmark the Python API on the example problems (issue 11).
Run: .venv/bin/python benchmarks/api_solve.py

For each problem in problems/, in one Python process with a warm derivation cache (the
usual case in a notebook): the time of ``bp.solve(path).trace``, of ``.tex`` and of
``.html`` on a fresh solution, and of ``.write_pdf``, medians of several runs; the
baseline is one bare ``pdflatex`` run on the same .tex, measured in the same run,
interleaved. Also the import time of ``backprop_solver`` (a new process).
"""

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PDFLATEX = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape"]


def clock(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def main(runs=5):
    import backprop_solver as bp

    imp = statistics.median(
        clock(lambda: subprocess.run([sys.executable, "-c", "import backprop_solver"], check=True))
        for _ in range(runs))
    base = statistics.median(clock(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
                             for _ in range(runs))
    print(f"import backprop_solver: {imp * 1000:.0f} ms (python -c pass: {base * 1000:.0f} ms)\n")
    print(f"{'problem':38} {'trace':>8} {'tex':>8} {'html':>8} {'pdf':>8} {'pdflatex':>9} {'pdf/pdflatex':>13}")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for path in sorted((ROOT / "problems").glob("*.yaml")):
            bp.solve(path).write_pdf(tmp / "warm.pdf")  # fills the derivation and format caches
            (tmp / "doc.tex").write_text(bp.solve(path).tex)
            t = {k: [] for k in ("trace", "tex", "html", "pdf", "latex")}
            for _ in range(runs):
                t["trace"].append(clock(lambda: bp.solve(path).trace))
                t["tex"].append(clock(lambda: bp.solve(path).tex))
                t["html"].append(clock(lambda: bp.solve(path).html))
                t["pdf"].append(clock(lambda: bp.solve(path).write_pdf(tmp / "out.pdf")))
                t["latex"].append(clock(lambda: subprocess.run(
                    PDFLATEX + ["doc.tex"], cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    stdin=subprocess.DEVNULL, check=True)))
            m = {k: statistics.median(v) for k, v in t.items()}
            ratios.append(m["pdf"] / m["latex"])
            print(f"{path.stem:38} {m['trace']:7.3f}s {m['tex']:7.3f}s {m['html']:7.3f}s {m['pdf']:7.3f}s "
                  f"{m['latex']:8.3f}s {ratios[-1]:12.2f}")
    print(f"\nmedian of bp.solve(...).write_pdf / bare pdflatex over {len(ratios)} problems: "
          f"{statistics.median(ratios):.2f}")


if __name__ == "__main__":
    if shutil.which("pdflatex") is None:
        sys.exit("pdflatex is not installed")
    main()
