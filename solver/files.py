"""Files: the one place that writes them and knows where the cache lives.

Every file the tool writes (the .tex, the .pdf, the trace JSON, cached derivations, the
precompiled preamble and the files pdflatex reads in its temporary folder) goes through :func:`write_atomic` or :func:`place`, so a
target is either complete or absent, never half-written. :func:`cache_dir` is the
cache folder shared by solver.derive and solver.compile, :func:`output_path` names a
problem's output files and :func:`check_outputs` refuses outputs that cannot be written.

An interrupted run (Ctrl-C) calls :func:`stop`: from then on no file is written and no
temporary folder is made (both raise :class:`Interrupted`), and :func:`remove_temp_folders`
removes the temporary folders (:class:`TempFolder`) still there.
"""

import os
import shutil
import tempfile
import threading
from pathlib import Path

from .errors import InputError

#: held while a file is written (and by :func:`stop`), so a write is never cut in half
_lock = threading.Lock()
_stopped = threading.Event()
_temp_folders = set()


class Interrupted(BaseException):
    """The run was interrupted: nothing more is written or started.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` swallows it.
    """


def stop():
    """Stop writing: wait for a write in progress, then make every later one (and every
    new :class:`TempFolder`) raise :class:`Interrupted`."""
    with _lock:
        _stopped.set()


def going():
    """Raise :class:`Interrupted` if the run was stopped."""
    if _stopped.is_set():
        raise Interrupted


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


def check_outputs(folder, sources, suffix):
    """What stops the outputs of ``sources`` (:func:`output_path` in ``folder``) from being
    written, before any is: a list of InputError, one per problem, empty if none.

    ``folder`` must be a folder or be possible to make (nothing is made here); two
    problem files must not write the same output (the later one is named, with the
    earlier); standard input has no name for an output.

    >>> [str(e) for e in check_outputs("out", ["a/p.yaml", "b/p.yaml", "q.yaml"], ".pdf")]
    ['b/p.yaml: two problem files would write out/p.pdf (a/p.yaml too); rename one or give them different output folders']
    """
    here = Path(folder).absolute()
    while not here.exists() and here != here.parent:
        here = here.parent
    if not here.is_dir():
        return [InputError(folder, "", f"cannot make the output folder ({here} is not a folder)")]
    if not os.access(here, os.W_OK | os.X_OK):
        return [InputError(folder, "", f"cannot write into the output folder ({here}: permission denied)")]
    errors, first = [], {}
    for source in sources:
        if str(source) == "<stdin>":
            errors.append(InputError(source, "", "a problem read from standard input has no name "
                                                 "for an output file (save it to a file)"))
            continue
        target = output_path(folder, source, suffix)
        if target in first:
            errors.append(InputError(source, "", f"two problem files would write {target} ({first[target]} too); "
                                                 f"rename one or give them different output folders"))
        first.setdefault(target, source)
    return errors


class TempFolder:
    """A new temporary folder (``.path``), removed by :meth:`remove` or at the end of a
    ``with`` block (which gives the path), or by :func:`remove_temp_folders`."""

    def __init__(self, prefix="backprop-"):
        with _lock:
            going()
            self.path = Path(tempfile.mkdtemp(prefix=prefix))
            _temp_folders.add(self.path)

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)
        with _lock:
            _temp_folders.discard(self.path)

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        self.remove()


def remove_temp_folders():
    """Remove every :class:`TempFolder` still there (after :func:`stop`: none is made anew)."""
    with _lock:
        folders = list(_temp_folders)
    for path in folders:
        shutil.rmtree(path, ignore_errors=True)


def _write(target, put, source):
    """Make ``target`` complete or not at all: ``put(part)`` fills a hidden temporary
    name beside it (its folder made), which is then renamed into place. With ``source``
    (the problem file it is written for) an OSError becomes an InputError naming both."""
    target = Path(target)
    with _lock:
        going()
        part = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.part")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            put(part)
            part.replace(target)
        except BaseException as e:
            try:
                part.unlink(missing_ok=True)
            except OSError:
                pass
            if source is None or not isinstance(e, OSError):
                raise
            why = f"{e.filename} is not a folder" if isinstance(e, FileExistsError) else e.strerror or e
            raise InputError(source, "", f"cannot write {target} ({why})") from None


def place(built, target, source=None):
    """Move a finished file into ``target`` through a hidden temporary name beside it, so
    that ``target`` is either complete or absent (never a half-copied file)."""
    _write(target, lambda part: shutil.move(str(built), part), source)


def write_atomic(target, data, source=None):
    """Write bytes to ``target`` through a temporary file, so it is complete or absent."""
    _write(target, lambda part: part.write_bytes(data), source)
