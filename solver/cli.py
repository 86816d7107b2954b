"""The ``backprop`` command: a thin layer over the pipeline stages.

Every command takes problem files or folders of them. Bad input exits with code 2 and
one line ``FILE: KEY: what was expected`` on stderr; nothing partial is written.
Stage modules are imported inside the commands, so ``backprop trace`` never loads
SymPy or Jinja.
"""

import json
import os
import sys
from pathlib import Path

import click

from .errors import InputError


def run_each(paths, action, quiet=False, jobs=1):
    """Run ``action(file)`` on every problem file; report errors and progress, return exit code.

    With ``jobs`` > 1 the files are worked on in that many threads (the work is mostly
    pdflatex, a separate process); progress lines come in the order files finish.
    """
    from .spec import problem_files

    try:
        files = problem_files(paths)
    except InputError as e:
        click.echo(str(e), err=True)
        return 2
    many = len(files) > 1
    failed = done = 0

    def report(outcome):
        nonlocal failed, done
        done += 1
        if isinstance(outcome, InputError):
            failed += 1
            click.echo(str(outcome), err=True)
        elif outcome and not quiet:
            click.echo(f"[{done}/{len(files)}] {outcome}" if many else outcome, err=True)

    def attempt(f):
        try:
            return action(f)
        except InputError as e:
            return e

    if jobs > 1 and many:
        from concurrent.futures import ThreadPoolExecutor, as_completed
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for future in as_completed([pool.submit(attempt, f) for f in files]):
                report(future.result())
    else:
        for f in files:
            report(attempt(f))
    if many and not quiet:
        click.echo(f"{len(files) - failed} of {len(files)} problem files done"
                   + (f", {failed} with errors" if failed else ""), err=True)
    return 2 if failed else 0


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="backprop-solver", prog_name="backprop")
def main():
    """Worked solutions for backpropagation exercises.

    Write the exercise as a short YAML problem file (see the README) and run one of
    the commands below on it, or on a folder of problem files.

    \b
    Exit codes: 0 done, 1 verify found a mismatch, 2 bad input.
    """


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def check(paths, quiet):
    """Check problem files: refuse exactly what trace and solve would refuse.

    Reads, checks and traces each problem (layered problems; the numbers are not
    printed), writing nothing. Exits 0 if every file is valid, 2 (with one message
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

    With one problem file the JSON goes to standard output; with -o each problem's
    trace is written to FOLDER/<name>.json (folders of problems need -o).
    """
    from . import trace as tr
    from .spec import read_problem

    def dump(f):
        kind, p = read_problem(f, as_graph)
        if kind == "graph":
            from . import graph
            return json.dumps(graph.to_json(graph.solve(p)), indent=indent)
        return json.dumps(tr.to_json(tr.trace(p)), indent=indent)

    if out_dir is None:
        files = [Path(p) for p in paths]
        if len(files) != 1:
            click.echo("trace: give one problem file, or use -o FOLDER for several", err=True)
            sys.exit(2)
        if files[0].is_dir():
            click.echo(str(InputError(files[0], "", "expected a problem file, got a folder "
                                                    "(use -o FOLDER to trace every problem in it)")), err=True)
            sys.exit(2)
        try:
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
        write_atomic(target, text.encode())
        return f"{f} -> {target}"

    sys.exit(run_each(paths, action))


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
        p, t, tolerance, results = vf.verify(problem, claims)
        if pdf_path:
            from . import compile as cp
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
                write_atomic(tex_path, tex.encode("utf-8"))
                return f"{f} -> {tex_path}"
            pdf_path = output_path(out_dir, f, ".pdf")
            if pending is not None:
                pending, p = None, pending
                p.finish(tex, pdf_path, source_name=f)
            else:
                cp.compile_pdf(tex, pdf_path, source_name=f)
            write_atomic(tex_path, tex.encode("utf-8"))  # after the PDF: a failure leaves neither
            return f"{f} -> {pdf_path}"
        finally:
            if pending is not None:
                pending.cancel()

    sys.exit(run_each(paths, action, quiet, jobs))
