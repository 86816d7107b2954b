"""Files: the one place that writes them and knows where the cache lives.

Every file the tool writes (the .tex, the .pdf, the trace JSON, cached derivations, the
precompiled preamble and the files pdflatex reads in its temporary folder) goes through :func:`write_atomic` or :func:`place`, so a
target is either complete or absent, never half-written. :func:`cache_dir` is the
cache folder shared by solver.derive and solver.compile, and
:func:`output_path` names a problem's output files.
"""

import os
import shutil
import threading
from pathlib import Path


def cache_dir():
    """The folder of cached derivations: $BACKPROP_CACHE, else the user's cache folder.

    >>> cache_dir().name in ("backprop-solver", Path(os.environ.get("BACKPROP_CACHE", "x")).name)
    True
    """
    if os.environ.get("BACKPROP_CACHE"):
        return Path(os.environ["BACKPROP_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "backprop-solver"


def output_path(folder, source, suffix):
    """Where the output of problem file ``source`` goes: FOLDER/<its name><suffix>.

    >>> output_path("out", "problems/q1.yaml", ".tex").as_posix()
    'out/q1.tex'
    """
    return Path(folder) / f"{Path(source).stem}{suffix}"


def _part(target):
    """A hidden temporary name beside ``target`` (its folder made), unique to this
    process and thread, from which the finished file is renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.part")


def place(built, target):
    """Move a finished file into ``target`` through a hidden temporary name beside it, so
    that ``target`` is either complete or absent (never a half-copied file)."""
    target = Path(target)
    part = _part(target)
    shutil.move(str(built), part)
    part.replace(target)


def write_atomic(target, data):
    """Write bytes to ``target`` through a temporary file, so it is complete or absent."""
    target = Path(target)
    part = _part(target)
    part.write_bytes(data)
    part.replace(target)
