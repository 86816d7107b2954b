"""Compile stage: LaTeX source in, PDF file out.

pdflatex is called directly rather than through latexmk or pylatex: our documents need
one pass (no cross-references, no bibliography; a second pass runs only if the log asks
for one), and latexmk's Perl start-up and its extra checking run cost more than the
whole Python side of ``backprop solve``. It runs in a temporary folder with
``-no-shell-escape`` and a timeout, and the PDF is moved into place only when
compilation succeeded, so the output folder never holds a partial file.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import InputError

PDFLATEX = ("pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape")
MAX_PASSES = 3


def first_error(log):
    """The first ``!`` line of a LaTeX log (with the line number, if the log gives it).

    >>> first_error("x\\n! Undefined control sequence.\\nl.7 \\\\foo\\n")
    'Undefined control sequence. (line 7)'
    """
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("!"):
            where = next((l.split()[0][2:] for l in lines[i + 1:i + 12] if l.startswith("l.")), "")
            return line[1:].strip() + (f" (line {where})" if where else "")
    return "pdflatex failed without an error line in its log"


def compile_pdf(tex, pdf_path, source_name="document", timeout=120):
    """Compile LaTeX source ``tex`` into ``pdf_path``; raise InputError on a LaTeX error.

    ``source_name`` names the problem file in the error message.
    """
    pdf_path = Path(pdf_path)
    if shutil.which(PDFLATEX[0]) is None:
        raise InputError(source_name, "", "pdflatex is not installed (run scripts/setup.sh)")
    with tempfile.TemporaryDirectory(prefix="backprop-") as tmp:
        (Path(tmp) / "doc.tex").write_text(tex, encoding="utf-8")
        env = dict(os.environ, TEXMFOUTPUT=tmp, openout_any="p", openin_any="p")
        for _ in range(MAX_PASSES):
            try:
                run = subprocess.run([*PDFLATEX, "doc.tex"], cwd=tmp, env=env, timeout=timeout,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise InputError(source_name, "", f"LaTeX did not finish within {timeout} s") from None
            log = (Path(tmp) / "doc.log").read_text(encoding="latin-1", errors="replace")
            if run.returncode != 0 or not (Path(tmp) / "doc.pdf").exists():
                raise InputError(source_name, "", f"LaTeX error: {first_error(log)}")
            if "Rerun to get" not in log:
                break
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        part = pdf_path.with_name(f".{pdf_path.name}.part")
        shutil.move(str(Path(tmp) / "doc.pdf"), part)
        part.replace(pdf_path)
    return pdf_path
