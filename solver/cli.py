"""The ``backprop`` command: a thin layer over the pipeline stages.

Every command takes problem files or folders of them. Bad input exits with code 2 and
one line ``FILE: KEY: what was expected`` on stderr; nothing partial is written.
Stage modules are imported inside the commands, so ``backprop trace`` of a layered
problem never loads SymPy. The Python API (solver/api.py) runs the same stages.
"""

import json
import os
import sys
from pathlib import Path

import click

from .errors import InputError, plural


#: how long an interrupted run waits for the problems being worked on to stop
GRACE_SECONDS = 2
#: what stops a run as Ctrl-C does (each exits with 128 + its number)
STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


def run_each(paths, action, quiet=False, jobs=1, outputs=None):
    """Run ``action(file)`` on every problem file; report errors and progress, return exit code.

    The files are worked on in ``jobs`` threads (the work is mostly pdflatex, a separate
    process); progress lines come in the order files finish. ``outputs`` (folder, suffix)
    names each file's output: if one cannot be written, or two files would write the
    same one, nothing is done (files.check_outputs). An OSError becomes the file's
    one-line error.

    Ctrl-C, SIGTERM or SIGHUP stops the run: no file is started, pdflatex is killed,
    no temporary or partial file is left (files.stop), the files done stay; one line
    says how many, and the exit code is 128 + the signal's number (130 for Ctrl-C).
    """
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    from . import files
    from .spec import problem_files

    try:
        todo = problem_files(paths)
        refused = files.check_outputs(outputs[0], todo, outputs[1]) if outputs else []
    except InputError as e:
        refused = [e]
    for e in refused:
        click.echo(str(e), err=True)
    if refused:
        return 2
    many = len(todo) > 1
    failed = done = 0

    def report(outcome):
        nonlocal failed, done
        done += 1
        if isinstance(outcome, InputError):
            failed += 1
            click.echo(str(outcome), err=True)
        elif outcome and not quiet:
            click.echo(f"[{done}/{len(todo)}] {outcome}" if many else outcome, err=True)

    def attempt(f):
        files.going()
        try:
            return action(f)
        except InputError as e:
            return e
        except OSError as e:  # one that no stage put in words
            return InputError(f, "", f"{e.strerror or e}" + (f" ({e.filename})" if e.filename else ""))

    caught = []
    restore = _catch_signals(caught.append)
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        running = [pool.submit(attempt, f) for f in todo]
        while running and not caught:  # a signal's handler only notes it; it is acted on here
            finished, _ = wait(running, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in running:
                if future in finished:
                    report(future.result())
            running = [f for f in running if f not in finished]
        if caught:
            return _interrupted(pool, running, len(todo) - len(running) - failed, len(todo), caught[0])
    finally:
        restore()
    pool.shutdown()
    if many and not quiet:
        click.echo(f"{len(todo) - failed} of {len(todo)} problem files done"
                   + (f", {failed} with errors" if failed else ""), err=True)
    return 2 if failed else 0


def _catch_signals(note):
    """Make STOP_SIGNALS call ``note(number)`` (once; later ones are ignored), except those
    ignored already (nohup, a background job); returns what puts the handlers back."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    numbers = [getattr(signal, name) for name in STOP_SIGNALS if hasattr(signal, name)]
    before = {n: signal.getsignal(n) for n in numbers}

    def handler(number, frame):
        for n in numbers:
            signal.signal(n, signal.SIG_IGN)
        note(number)

    def restore():
        for n, h in before.items():
            if h is not None:  # None: not set from Python, cannot be put back
                signal.signal(n, h)

    for n in numbers:
        if before[n] is not signal.SIG_IGN:
            signal.signal(n, handler)
    return restore


class _Stopping:
    """Ctrl-C in a one-file command (trace of one problem, verify): pdflatex stopped, no
    partial or temporary file left, one line, exit 130 (click would print "Aborted!" and
    exit 1)."""

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is not KeyboardInterrupt:
            return False
        from . import compile, files

        files.stop()
        compile.kill_running()
        files.remove_temp_folders()
        click.echo("interrupted", err=True)
        sys.exit(130)


def _interrupted(pool, running, done, total, number):
    """Stop an interrupted run (see run_each) and say so; returns the exit code."""
    from concurrent.futures import wait

    from . import compile, files

    files.stop()  # after a write in progress, none: no partial file, no new temporary folder
    compile.kill_running()
    pool.shutdown(wait=False, cancel_futures=True)
    wait([f for f in running if not f.cancelled()], timeout=GRACE_SECONDS)  # in pdflatex: at once
    files.remove_temp_folders()
    done += sum(1 for f in running if f.done() and not f.cancelled() and f.exception() is None
                and not isinstance(f.result(), InputError))
    click.echo(f"interrupted: {done} of {total} problem files done", err=True)
    if not all(f.done() for f in running):  # still computing: not worth waiting for
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + number)
    return 128 + number


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="backprop-solver", prog_name="backprop")
def main():
    """Worked solutions for backpropagation exercises.

    Write the exercise as a short YAML problem file (see the README) and run one of
    the commands below on it, or on a folder of problem files.

    \b
    Exit codes: 0 done, 1 verify found a mismatch, 2 bad input, 130 interrupted (Ctrl-C).
    """


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def check(paths, quiet):
    """Check problem files: refuse exactly what trace and solve would refuse.

    Reads, checks and traces each problem (layered problems; the numbers are not
    printed; - reads one from standard input), writing nothing. Exits 0 if every file is valid, 2 (with one message
    per bad file) otherwise.
    """
    from .spec import check_problem

    sys.exit(run_each(paths, lambda f: f"{f}: ok ({check_problem(f)})", quiet))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False),
              help="Write FOLDER/<name>.json for each problem instead of printing one.")
@click.option("--indent", type=int, default=None, help="Indent the JSON by this many spaces.")
@click.option("--as-graph", is_flag=True,
              help="Take layered problems through the graph path (their first update, as equations).")
def trace(paths, out_dir, indent, as_graph):
    """Print every number of the solution as JSON.

    With one problem file (- reads it from standard input) the JSON goes to standard
    output; with -o each problem's trace is written to FOLDER/<name>.json (folders of
    problems need -o).
    """
    from .api import Solution
    from .spec import STDIN, read_problem

    def dump(f):
        return json.dumps(Solution(*read_problem(f, as_graph)).trace, indent=indent)

    if out_dir is None:
        files = [STDIN if p == "-" else Path(p) for p in paths]
        if len(files) != 1:
            click.echo("trace: give one problem file, or use -o FOLDER for several", err=True)
            sys.exit(2)
        if files[0] is not STDIN and files[0].is_dir():
            click.echo(str(InputError(files[0], "", "expected a problem file, got a folder "
                                                    "(use -o FOLDER to trace every problem in it)")), err=True)
            sys.exit(2)
        try:
            with _Stopping():
                text = dump(files[0])
        except InputError as e:
            click.echo(str(e), err=True)
            sys.exit(2)
        click.echo(text)
        sys.exit(0)

    from .files import output_path, write_atomic

    def action(f):
        target = output_path(out_dir, f, ".json")
        text = dump(f)
        write_atomic(target, text.encode(), f)
        return f"{f} -> {target}"

    sys.exit(run_each(paths, action, outputs=(out_dir, ".json")))


@main.command()
@click.argument("problem", type=click.Path())
@click.argument("claims", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead.")
@click.option("-a", "--all", "show_all", is_flag=True, help="List the claims that are ok too.")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False),
              help="Also write the worked solution with the claims beside the correct numbers.")
def verify(problem, claims, as_json, show_all, pdf_path):
    """Check a hand calculation (CLAIMS.yaml) against the worked solution of PROBLEM.yaml.

    Every claimed quantity is ok, wrong, carried_forward (wrong only because an earlier
    claimed number was) or wrong_shape; see docs/claims-format.md. Exits 0 when every
    claim is ok, 1 otherwise, 2 for bad input.
    """
    from . import claims as vf

    try:
        with _Stopping():
            p, t, tolerance, results = vf.verify(problem, claims)
        if pdf_path:
            from . import compile as cp
            with _Stopping():
                cp.write_document(vf.document(p, t, tolerance, results, Path(claims).name), pdf_path,
                                  source_name=problem)
    except InputError as e:
        click.echo(str(e), err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(vf.to_json(results), indent=1))
    else:
        click.echo(vf.report(results, tolerance, p.digits, show_all))
    sys.exit(0 if all(r.status == "ok" for r in results) else 1)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "out_dir", default="output", show_default=True,
              type=click.Path(file_okay=False), help="Folder for <name>.tex and <name>.pdf.")
@click.option("--tex-only", is_flag=True, help="Write the .tex only; do not run pdflatex.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=os.cpu_count() or 1, show_default=True,
              help="Problems solved at the same time (for folders).")
@click.option("--as-graph", is_flag=True,
              help="Take layered problems through the graph path (their first update, as equations).")
def solve(paths, out_dir, tex_only, quiet, jobs, as_graph):
    """Write the worked solution: OUTPUT/<name>.tex and OUTPUT/<name>.pdf.

    Takes problem files or folders of them. A LaTeX error exits with code 2 and the
    first error line of the log; no partial PDF is left in the output folder.
    """
    from . import compile as cp
    from . import spec
    from .api import Solution
    from .files import output_path, write_atomic

    def action(f):
        data = spec.read_yaml(f)
        pending = None
        if not tex_only:
            # start pdflatex on the (static) house preamble first, the same for every
            # kind of problem: it loads its packages while Python traces and renders
            # (see solver.compile.Pending)
            from .document import preamble
            pending = cp.start(preamble())
        try:
            tex = Solution.from_data(data, f, as_graph).tex
            tex_path = output_path(out_dir, f, ".tex")
            if tex_only:
                write_atomic(tex_path, tex.encode("utf-8"), f)
                return f"{f} -> {tex_path}"
            pdf_path = output_path(out_dir, f, ".pdf")
            if pending is not None:
                pending, p = None, pending
                p.finish(tex, pdf_path, source_name=f)
            else:
                cp.compile_pdf(tex, pdf_path, source_name=f)
            write_atomic(tex_path, tex.encode("utf-8"), f)  # after the PDF: a failure leaves neither
            return f"{f} -> {pdf_path}"
        finally:
            if pending is not None:
                pending.cancel()

    sys.exit(run_each(paths, action, quiet, jobs, outputs=(out_dir, ".tex" if tex_only else ".pdf")))


@main.command()
@click.argument("sheet", type=click.Path())
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="The folder for questions.pdf, solutions.pdf, variants/, answers and moodle.xml.")
@click.option("--tex-only", is_flag=True, help="Write questions.tex and solutions.tex; do not run pdflatex.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def exam(sheet, out_dir, tex_only, quiet):
    """Make an exam from SHEET.yaml: question and solution sheets for every variant.

    The sheet names problem files (whose values may be drawn per variant with
    {random: {low, high, decimals}}), the number of variants and a seed; see
    docs/exam-sheets.md. OUTPUT receives questions.pdf, solutions.pdf, one problem file
    per variant and problem (variants/<v>/<problem>.yaml), answers.json, answers.csv and
    moodle.xml. Nothing is written unless all of it succeeded.
    """
    from . import exam as ex

    def progress(v, total):
        if not quiet and (v == total or v % max(1, total // 10) == 0):
            click.echo(f"exam: {v} of {plural(total, 'variant')} drawn and solved", err=True)

    def action(f):
        written = ex.build(f, out_dir, progress, tex_only)
        return f"{f} -> {out_dir}/ ({plural(len(written), 'file')})"

    sys.exit(run_each([sheet], action, quiet))
