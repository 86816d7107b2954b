"""Benchmark a folder of problems: .venv/bin/python benchmarks/folder_speed.py [COUNT]

Copies the layered example problems into a temporary folder until it holds COUNT files
(default 100), then times `backprop check`, `backprop trace -o` and `backprop solve` with
one job and with the default (one per CPU). Reports seconds in all and per file.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CMD = [str(BIN / "backprop")] if (BIN / "backprop").exists() else [sys.executable, "-m", "backprop_solver"]


def timed(*args):
    t = time.perf_counter()
    subprocess.run(CMD + list(args), cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    sources = sorted(f for f in (ROOT / "problems").glob("seed00[014]*.yaml"))
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "problems"
        src.mkdir()
        for i in range(count):
            f = sources[i % len(sources)]
            shutil.copy(f, src / f"{i:04d}_{f.name}")
        timed("solve", str(sources[0]), "-o", str(Path(tmp) / "warm"))  # warm the caches
        rows = [("check", timed("check", "-q", str(src))),
                ("trace -o", timed("trace", str(src), "-o", str(Path(tmp) / "json"))),
                ("solve -j 1", timed("solve", "-q", "-j", "1", str(src), "-o", str(Path(tmp) / "pdf1"))),
                (f"solve -j {os.cpu_count()}", timed("solve", "-q", str(src), "-o", str(Path(tmp) / "pdfn")))]
    print(f"{count} problem files ({len(sources)} layered examples, repeated):")
    for name, t in rows:
        print(f"  backprop {name:<12} {t:7.2f} s   {t / count * 1000:7.1f} ms per file")


if __name__ == "__main__":
    main()
