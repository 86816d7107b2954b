"""The Python API: a problem in (a file or a mapping), a worked solution out.

    >>> import backprop_solver as bp
    >>> s = bp.solve("problems/seed001_q1_sigmoid_sgd.yaml")
    >>> s
    <Solution: 5-3-2 sigmoid network, one SGD step (5-3-2, squared_error, sgd)>
    >>> round(s.trace["updates"][0]["loss"], 6)
    0.251693

The same stages as the ``backprop`` command (spec -> trace -> derive -> document ->
compile), run once each and kept: ``s.trace`` is the dict ``backprop trace`` prints,
``s.document`` the format-neutral document, ``s.tex`` its LaTeX source,
``s.write_pdf(path)`` compiles it, and in Jupyter a solution shows itself as HTML
(MathJax formulas, the network as SVG) without TeX. Bad input raises
:class:`~backprop_solver.errors.InputError` with the message the command would print.
"""

from collections.abc import Mapping
from functools import cached_property
from os import PathLike
from pathlib import Path

from .errors import InputError

def _read(problem, what="problem"):
    """(data, name) of a problem given as a path or as a mapping (read as a file would be)."""
    from . import claims, spec

    if isinstance(problem, Mapping):
        return problem, f"<{what}>"
    if isinstance(problem, (str, PathLike)):
        return (spec.read_yaml(problem) if what == "problem" else claims.read_claims(problem)), problem
    raise TypeError(f"a {what} is a file path or a mapping, not {type(problem).__name__}")


def solve(problem, *, as_graph=False):
    """The worked solution of ``problem``: a path to a problem file, or a mapping with
    the same keys (see docs/problem-format.md and docs/graph-problems.md).

    With ``as_graph`` a layered problem is taken through the graph path (its first
    update, written as equations), as ``backprop solve --as-graph`` does.

    >>> s = solve({"network": {"sizes": [2, 1], "activation": "sigmoid", "weights": 0.5},
    ...            "loss": "squared_error", "learning_rate": 1, "data": [{"x": [1, 0], "y": 1}]})
    >>> s.kind, s.title, s.trace["updates"][0]["layers"][0]["z"]
    ('layered', 'Problem', [[0.5]])
    """
    data, name = _read(problem)
    return Solution.from_data(data, name, as_graph)


class Solution:
    """A problem and its worked solution, each stage computed when first asked for.

    ``kind`` is "layered", "graph" or "derivation"; ``problem`` the checked problem
    (spec.Problem, graph.GraphProblem or derivations.DerivationProblem); ``result`` the
    engine's own result (trace.Trace, graph.Solution, or the checked derivations of a
    problem that asks for derivations alone).
    """

    def __init__(self, kind, problem):
        self.kind, self.problem = kind, problem

    @classmethod
    def from_data(cls, data, name, as_graph=False):
        """Check a problem mapping read from ``name`` (InputError if it is bad)."""
        from . import spec

        return cls(*spec.parse_problem(data, name, as_graph))

    @property
    def title(self):
        return self.problem.title

    @cached_property
    def result(self):
        if self.kind == "derivation":
            from . import derivations
            return derivations.build(self.problem)
        if self.kind == "graph":
            from . import graph
            return graph.solve(self.problem)
        if self.training:
            from . import training
            return training.train(self.problem)
        from . import trace
        return trace.trace(self.problem)

    @property
    def training(self):
        """True for a layered problem recorded as a summary (a training run, solver.training)."""
        return self.kind == "layered" and self.problem.record == "summary"

    @cached_property
    def trace(self):
        """Every number of the solution, as ``backprop trace`` prints it (JSON-ready); for a
        problem that asks for derivations alone, their steps (it has no numbers)."""
        if self.kind == "derivation":
            from . import derivations
            return derivations.to_json(self.problem, self.result)
        if self.kind == "graph":
            from . import graph
            return graph.to_json(self.result)
        if self.training:
            from . import training
            return training.to_json(self.result)
        from . import trace
        return trace.to_json(self.result)

    @cached_property
    def document(self):
        """The worked solution as a format-neutral document (backprop_solver.document.model)."""
        if self.kind == "derivation":
            from . import derivations
            from .document import derivation
            return derivation.build(self.problem, self.result, derivations.context(self.problem))
        if self.kind == "graph":
            from .document import graph
            return graph.build(self.result)
        if self.training:
            from . import derive
            from .document import training
            return training.build(self.result, derive.derive_problem(self.problem))
        from . import derive
        from .document import layered
        return layered.build(self.result, derive.derive_problem(self.problem))

    @cached_property
    def tex(self):
        """The LaTeX source of the worked solution (what ``backprop solve`` compiles)."""
        from .document import latex
        return latex.write(self.document)

    @cached_property
    def html(self):
        """The worked solution as an HTML fragment: MathJax-ready formulas, SVG drawings."""
        from .document import html
        return html.write(self.document)

    def write_tex(self, path):
        """Write the LaTeX source to ``path`` (atomically); returns the path. A file-system
        error raises InputError naming the path."""
        from .files import write_atomic
        write_atomic(Path(path), self.tex.encode("utf-8"), source=self.problem.file)
        return Path(path)

    def write_pdf(self, path):
        """Compile the worked solution into the PDF ``path`` (needs pdflatex); returns the path.

        A LaTeX error raises InputError and leaves no file at ``path``.
        """
        from . import compile
        return compile.compile_pdf(self.tex, path, source_name=self.problem.file)

    def _repr_html_(self):
        return self.html

    def __repr__(self):
        from . import derivations, graph, spec
        about = {"graph": graph.summary, "derivation": derivations.summary}.get(self.kind, spec.summary)(self.problem)
        return f"<Solution: {self.title} ({about})>"


def verify(problem, claims):
    """Check a hand calculation: ``claims`` (a claims file or mapping, see
    docs/claims-format.md) against the worked solution of ``problem`` (a layered or graph problem
    file or mapping). Returns a :class:`Verification`.

    >>> v = verify("problems/seed001_q1_sigmoid_sgd.yaml",
    ...            {"updates": [{"index": 1, "loss": 0.2516,
    ...                          "layers": [{"layer": 1, "a": [0.549834, 0.549834, 0.549834]}]}]})
    >>> v
    <Verification: 1 ok, 1 wrong>
    >>> print(v.report())
    loss (update 1): WRONG   [updates[0].loss]
        loss: claimed 0.2516, correct 0.251693
    <BLANKLINE>
    2 claimed quantities (tolerance: the digits written): 1 ok, 1 wrong, 0 carried forward, 0 wrong shape
    """
    from . import claims as vf

    data, name = _read(problem)
    claims_data, claims_name = _read(claims, "claims")
    p, t, tolerance, results = vf.verify_data(data, name, claims_data, claims_name)
    return Verification(p, t, tolerance, results, Path(str(claims_name)).name)


class Verification:
    """The results of :func:`verify`: ``results`` (one per claim, in computation order,
    each with ``status`` ok, wrong, carried_forward or wrong_shape), ``ok`` (every claim
    is), ``summary`` (the count of each status); ``report()`` is the text ``backprop
    verify`` prints, ``write_pdf(path)`` the worked solution with the claims beside it."""

    def __init__(self, problem, trace, tolerance, results, claims_name):
        self.problem, self.trace, self.tolerance, self.results = problem, trace, tolerance, results
        self.claims_name = claims_name

    @property
    def ok(self):
        return all(r.status == "ok" for r in self.results)

    @property
    def summary(self):
        from . import claims as vf
        return vf.summary(self.results)

    def to_json(self):
        from . import claims as vf
        return vf.to_json(self.results)

    def report(self, show_all=False):
        from . import claims as vf
        return vf.report(self.results, self.tolerance, self.problem.digits, show_all)

    def write_pdf(self, path):
        """The worked solution with each claim beside the correct number (.tex or .pdf)."""
        from . import claims as vf, compile
        tex = vf.document(self.problem, self.trace, self.tolerance, self.results, self.claims_name)
        return compile.write_document(tex, path, source_name=self.problem.file)

    def _repr_html_(self):
        import html
        return f"<pre>{html.escape(self.report(show_all=True))}</pre>"

    def __repr__(self):
        counts = ", ".join(f"{n} {s}" for s, n in self.summary.items() if n and s != "total")
        return f"<Verification: {counts or 'no claims'}>"


__all__ = ["InputError", "Solution", "Verification", "solve", "verify"]
