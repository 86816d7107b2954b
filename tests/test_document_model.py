"""The document model and its LaTeX writer (issue 10).

Every block of solver.document.model has a writer; text from a problem file reaches
LaTeX escaped in every block that carries text; matrices keep their numbers (a second
writer could format them); rows carry the keys `verify --pdf` finds them by; and both
kinds of problem build one model and share the house preamble.
"""

import dataclasses
import re

import numpy as np

from conftest import PROBLEMS
from backprop_solver import derive, graph, spec, trace
from backprop_solver.document import graph as graph_doc, latex, layered, model as m

EVIL = r"\input{/etc/passwd} $x^2$ 50% & #1 ~a_b {c}"


def _blocks():
    return [c for c in vars(m).values() if isinstance(c, type) and dataclasses.is_dataclass(c)
            and c.__module__ == m.__name__ and c not in (m.Matrix, m.Styled, m.Code, m.Row, m.Document)
            and c not in (m.Node, m.Tag, m.Edge, m.Caption, m.Box, m.Arrow, m.Region, m.Segment, m.Axes, m.Label)]


def test_every_block_has_a_latex_writer():
    missing = [c.__name__ for c in _blocks() if c not in latex.WRITERS]
    assert not missing


def _no_command(tex):
    """No backslash of the user's text survives as a command."""
    return r"\input{" not in tex and r"\input\{" not in tex.replace(r"\textbackslash{}input\{", "")


def test_text_is_escaped_in_every_block_that_carries_text():
    words = m.plain(EVIL)
    doc = m.Document([
        m.Title(words, words), m.Heading(words, note=words), m.Para(words),
        m.Table([words], [[words]], "l"), m.Facts([(words, words)]), m.Items([words]),
        m.Columns([("0.5", [m.Para(words)])]), m.Group("small", [m.Para(words)]),
        m.Drawing([m.Node("a", 0, 0, m.Math("x"), "inp"), m.Tag("a", words), m.Caption(0, 1, words),
                   m.Box("b", 0, 0, [words], 1.0), m.Label(0, 0, words)]),
    ])
    tex = latex.write(doc)
    body = tex[tex.index(r"\begin{document}"):]
    assert _no_command(body)
    assert r"\$x\texttt{\char94}2\$" in body  # the user's dollars print, they never start math
    assert body.count(r"\textbackslash{}input") == 16  # each of the 16 places, once


def test_text_splits_our_own_sentences_at_dollars_only():
    assert m.text("a $x$ b", ("c $d$",)) == ("a ", m.Math("x"), " b", "c $d$")


def test_matrices_keep_their_numbers():
    a = np.array([[0.123456789, -2.5e-7], [1.0, 0.0]])
    row = m.Row(m.Math("W &= ", m.Matrix(a, 4)))
    (mat,) = [p for p in row.math if isinstance(p, m.Matrix)]
    assert np.array_equal(mat.values, a)
    assert latex.math(row.math) == r"W &= \begin{bmatrix} 0.1235 & -2.5 \cdot 10^{-7} \\ 1 & 0 \end{bmatrix}"


def test_layered_rows_carry_their_keys():
    p = spec.load(PROBLEMS / "seed001_q1_sigmoid_sgd.yaml")
    doc = layered.build(trace.trace(p), derive.derive_problem(p))
    keys = [r.key for b in m.walk(doc.blocks) if isinstance(b, m.Align) for r in b.rows if r.key]
    assert (1, 1, "z") in keys and (1, p.L, "delta") in keys and (1, 1, "W_new") in keys
    assert any(isinstance(b, m.Display) and b.key == (1, None, "loss") for b in m.walk(doc.blocks))


def test_both_kinds_share_the_house_style():
    """A graph document starts with the same preamble and title block as a layered one."""
    pre = latex.preamble()
    p = spec.load(PROBLEMS / "seed001_q1_sigmoid_sgd.yaml")
    lay = latex.write(layered.build(trace.trace(p), derive.derive_problem(p)))
    g = latex.write(graph_doc.build(graph.solve(graph.load(PROBLEMS / "seed003_ex2_logcosh.yaml"))))
    for tex in (lay, g):
        assert tex.startswith(pre) and "{\\small Worked solution}" in tex
        assert re.search(r"\\section\*\{1\.\\quad ", tex)
