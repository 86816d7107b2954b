"""Compile stage: LaTeX source in, PDF file out.

pdflatex is called directly rather than through latexmk or pylatex: our documents need
one pass (no cross-references, no bibliography; a second pass runs only if the log asks
for one), and latexmk's Perl start-up and its extra checking run cost more than the
whole Python side of ``backprop solve``. It runs in a temporary folder with
``-no-shell-escape`` and a timeout, and the PDF is moved into place only when
compilation succeeded, so the output folder never holds a partial file.

Every pdflatex runs in a session of its own (a Ctrl-C in the terminal reaches Python
only) and is known to :func:`kill_running`, which an interrupted run calls; after
``files.stop()`` none starts.
"""

import os
import shutil
import subprocess
import threading
from pathlib import Path

from .errors import InputError
from .files import TempFolder, cache_dir, going, place, write_atomic

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


def _tex_env(folder):
    """The environment of every pdflatex run: paranoid file access (openin_any and
    openout_any ``p``: no hidden files, no absolute or ``..`` paths outside ``folder``)."""
    return dict(os.environ, TEXMFOUTPUT=str(folder), openout_any="p", openin_any="p")


_running = set()  # the pdflatex processes started and not yet waited for
_running_lock = threading.Lock()


def _start(cmd, folder, stdin=subprocess.DEVNULL):
    """Start ``cmd`` (pdflatex) in ``folder``, in a session of its own, known to
    :func:`kill_running`; Interrupted after ``files.stop()``."""
    with _running_lock:
        going()
        proc = subprocess.Popen(cmd, cwd=folder, env=_tex_env(folder), stdin=stdin,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        _running.add(proc)
    return proc


def _wait(proc, timeout):
    """The exit code of ``proc``; it is killed if the wait ends otherwise (a timeout, an
    interrupt). Interrupted if the run was stopped meanwhile (it was killed then)."""
    try:
        code = proc.wait(timeout=timeout)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        with _running_lock:
            _running.discard(proc)
    going()
    return code


def kill_running():
    """Kill every pdflatex this process runs, and wait for them to end (for an
    interrupted run, after files.stop(): none starts anew)."""
    with _running_lock:
        procs = list(_running)
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.wait()


def compile_pdf(tex, pdf_path, source_name="document", timeout=120, log_path=None):
    """Compile LaTeX source ``tex`` into ``pdf_path``; raise InputError on a LaTeX error.

    ``source_name`` names the problem file in the error message; ``log_path``, if given,
    receives pdflatex's log of the last pass (overfull boxes, for tests/test_pages.py).
    """
    pdf_path = Path(pdf_path)
    if shutil.which(PDFLATEX[0]) is None:
        raise InputError(source_name, "", "pdflatex is not installed (see the README's Install section; "
                                          "--tex-only writes the LaTeX source without it)")
    with TempFolder() as tmp:
        write_atomic(tmp / "doc.tex", tex.encode("utf-8"), source_name)
        for _ in range(MAX_PASSES):
            try:
                code = _wait(_start([*PDFLATEX, "doc.tex"], tmp), timeout)
            except subprocess.TimeoutExpired:
                raise InputError(source_name, "", f"LaTeX did not finish within {timeout} s") from None
            log = (tmp / "doc.log").read_text(encoding="latin-1", errors="replace")
            if code != 0 or not (tmp / "doc.pdf").exists():
                raise InputError(source_name, "", f"LaTeX error: {first_error(log)}")
            if "Rerun to get" not in log:
                break
        place(tmp / "doc.pdf", pdf_path, source_name)
        if log_path is not None:
            write_atomic(log_path, log.encode("latin-1", errors="replace"))
    return pdf_path


def write_document(tex, path, source_name="document"):
    """Write LaTeX source ``tex`` to ``path`` as it is if the name ends in .tex, else
    compiled into a PDF (:func:`compile_pdf`); the same guarantees either way."""
    if str(path).endswith(".tex"):
        write_atomic(path, tex.encode("utf-8"), source_name)
        return Path(path)
    return compile_pdf(tex, path, source_name)


def _format_path(preamble):
    """Where the precompiled format of ``preamble`` is cached (it may not exist yet).

    The key covers the preamble and the pdflatex binary (path, size, time), so a new
    TeX installation or a changed preamble never loads a stale format.
    """
    import hashlib

    exe = shutil.which(PDFLATEX[0])
    if exe is None:
        return None
    st = Path(exe).resolve().stat()
    key = hashlib.sha256(f"{preamble}\0{Path(exe).resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return cache_dir() / "latex" / f"preamble-{key.hexdigest()[:20]}.fmt"


def build_format(preamble, fmt_path, timeout=120):
    """Dump ``preamble`` (packages loaded) into the format file ``fmt_path``; True if done."""
    fmt_path = Path(fmt_path)
    with TempFolder("backprop-fmt-") as tmp:
        try:
            write_atomic(tmp / "pre.tex", (preamble + "\n\\dump\n").encode("utf-8"))
            code = _wait(_start([PDFLATEX[0], "-ini", *PDFLATEX[1:], "-jobname=pre", "&pdflatex", "pre.tex"],
                                tmp), timeout)
        except (OSError, subprocess.TimeoutExpired):
            return False
        built = tmp / "pre.fmt"
        if code != 0 or not built.exists():
            return False
        try:
            place(built, fmt_path)
        except OSError:
            return False
    return True


class Pending:
    """pdflatex already running on a document's preamble, waiting for its body.

    LaTeX spends much of its time loading packages (TikZ above all). ``start`` runs
    that part while Python is still reading, tracing and rendering the problem;
    ``finish`` then hands over the body. It is still one pass, with the same flags and
    the same restrictions, on the same text: TeX reads the preamble from a file and then
    one line from its terminal (a pipe), ``\\nonstopmode\\input{body}``. Anything that
    goes wrong on this path falls back to :func:`compile_pdf` on the whole document.
    """

    def __init__(self, preamble, timeout=120):
        self.preamble = preamble
        self.timeout = timeout
        self.proc = None
        self.fmt, self.with_format = None, False
        self.tmp = TempFolder()
        d = self.tmp.path
        if shutil.which(PDFLATEX[0]) is None:
            return
        self.fmt = _format_path(preamble)
        self.with_format = self.fmt is not None and self.fmt.exists()
        # scrollmode until the body arrives: nonstopmode would refuse to read the pipe
        if self.with_format:  # the packages come loaded from the format
            cmd = [PDFLATEX[0], f"-fmt={self.fmt.with_suffix('')}", "-interaction=scrollmode",
                   *PDFLATEX[2:], "-jobname=doc"]
        else:
            cmd = [PDFLATEX[0], "-interaction=scrollmode", *PDFLATEX[2:], "-jobname=doc", r"\input{pre}"]
        try:
            if not self.with_format:
                write_atomic(d / "pre.tex", preamble.encode("utf-8"))
            self.proc = _start(cmd, d, stdin=subprocess.PIPE)
        except OSError:  # finish falls back to compile_pdf, which says what is wrong
            self.proc = None
        except BaseException:
            self.tmp.remove()
            raise

    def cancel(self):
        """Stop the waiting pdflatex (if any) and remove its folder."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            with _running_lock:
                _running.discard(self.proc)
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self.proc = None
        self.tmp.remove()

    def finish(self, tex, pdf_path, source_name="document"):
        """Compile ``tex`` (which must start with the preamble given to ``start``) into
        ``pdf_path``; the same errors and guarantees as :func:`compile_pdf`."""
        if self.proc is None or not tex.startswith(self.preamble) or self.proc.poll() is not None:
            self.cancel()
            return compile_pdf(tex, pdf_path, source_name, self.timeout)
        d = self.tmp.path
        try:
            write_atomic(d / "body.tex", tex[len(self.preamble):].encode("utf-8"), source_name)
            try:
                self.proc.stdin.write(b"\\nonstopmode\\input{body}\n")
                self.proc.stdin.close()
            except OSError:  # pdflatex stopped in the preamble: compile the usual way
                self.cancel()
                return compile_pdf(tex, pdf_path, source_name, self.timeout)
            try:
                code = _wait(self.proc, self.timeout)
            except subprocess.TimeoutExpired:
                raise InputError(source_name, "", f"LaTeX did not finish within {self.timeout} s") from None
            log_file = d / "doc.log"
            log = log_file.read_text(encoding="latin-1", errors="replace") if log_file.exists() else ""
            if code != 0 or not (d / "doc.pdf").exists():
                if self.with_format:  # perhaps the format, not the document: check without it
                    self.cancel()
                    result = compile_pdf(tex, pdf_path, source_name, self.timeout)
                    self.fmt.unlink(missing_ok=True)
                    return result
                raise InputError(source_name, "", f"LaTeX error: {first_error(log)}")
            if "Rerun to get" in log:  # needs more passes: do them on the whole document
                self.cancel()
                return compile_pdf(tex, pdf_path, source_name, self.timeout)
            place(d / "doc.pdf", pdf_path, source_name)
            if not self.with_format and self.fmt is not None:
                build_format(self.preamble, self.fmt)  # once: later runs load it ready-made
            return pdf_path
        finally:
            self.cancel()


def start(preamble, timeout=120):
    """Start pdflatex on ``preamble`` now; call ``.finish(tex, pdf_path)`` on the result
    when the whole document is ready, or ``.cancel()`` if it will not be.

    >>> p = start("\\\\documentclass{article}\\n"); p.cancel()
    """
    return Pending(preamble, timeout)
