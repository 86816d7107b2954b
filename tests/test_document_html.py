"""The HTML writer (solver.document.html): Jupyter's rich display of a worked solution.

Every block has a writer; the fragment of every example problem is well-formed XHTML
(its SVG drawings included) and shows the numbers of the LaTeX document; text from a
problem file never becomes markup, script or MathJax input.
"""

import dataclasses
import re
import xml.etree.ElementTree as ET
from functools import cache

import pytest

from conftest import PROBLEMS
from backprop_solver import Solution, spec
from backprop_solver.document import html, latex, model as m, write_html

SVG = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert(1)</script> & $x^2$ \\(y\\) ]]> <b>"


def _blocks():
    items = (m.Node, m.Tag, m.Edge, m.Caption, m.Box, m.Arrow, m.Region, m.Segment, m.Axes, m.Label)
    return [c for c in vars(m).values() if isinstance(c, type) and dataclasses.is_dataclass(c)
            and c.__module__ == m.__name__ and c not in (m.Matrix, m.Styled, m.Code, m.Row, m.Document)
            and c not in items]


def _document(path):
    return Solution(*spec.read_problem(path)).document


@cache
def _solution(name):
    doc = _document(PROBLEMS / name)
    return doc, html.write(doc)


def _maths(x):
    """Every Math in a document, block or piece of text (drawings included)."""
    if isinstance(x, m.Math):
        yield x, False
    elif isinstance(x, (list, tuple)):
        for y in x:
            yield from _maths(y)
    elif dataclasses.is_dataclass(x) and not isinstance(x, m.Matrix):
        drawn = isinstance(x, (m.Drawing, m.Chart))  # drawn as SVG text, not MathJax
        for f in dataclasses.fields(x):
            for math, in_drawing in _maths(getattr(x, f.name)):
                yield math, in_drawing or drawn


def test_every_block_has_an_html_writer():
    assert not [c.__name__ for c in _blocks() if c not in html.WRITERS]
    assert write_html is html.write


@pytest.mark.parametrize("name", sorted(p.name for p in PROBLEMS.glob("*.yaml")))
def test_every_problem_is_well_formed_with_its_drawing_and_numbers(name):
    doc, out = _solution(name)
    root = ET.fromstring(out)  # XHTML: balanced tags, quoted attributes, valid SVG
    assert root.tag == "div" and root.get("class") == "bp-solution"
    assert list(root.iter(SVG + "svg")) or spec.problem_kind(spec.read_yaml(PROBLEMS / name)) == "derivation", \
        "the network is drawn"
    assert not list(root.iter("script"))
    for math, in_drawing in _maths(doc):
        tex = latex.math(math)
        if not in_drawing:  # the same TeX as the LaTeX document, escaped for HTML
            assert tex.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in out
        for number in re.findall(r"-?\d+\.\d+", tex):  # fmt's numbers, in SVG text too
            assert number in out, (number, tex)


def test_math_is_mathjax_ready():
    _, out = _solution("seed001_q1_sigmoid_sgd.yaml")
    assert r"\(\eta = 1\)" in out
    assert re.search(r"\\\[\\begin\{aligned\}\n.* &amp;= \\begin\{bmatrix\} 0\.1 &amp; 0\.1", out)
    assert r"\begin{array}{c|c|c}" in out and r"\begin{align*}" not in out
    _, out = _solution("seed003_ex1_relu_boundary.yaml")
    assert r"(x_{1} &lt; 0)" in out  # a TeX "<" is escaped; MathJax reads the text


def test_the_drawing_of_a_network():
    doc, out = _solution("seed001_q1_sigmoid_sgd.yaml")
    (svg,) = ET.fromstring(out).iter(SVG + "svg")
    nodes = [i for b in m.walk(doc.blocks) if isinstance(b, m.Drawing) for i in b.items if isinstance(i, m.Node)]
    edges = [i for b in m.walk(doc.blocks) if isinstance(b, m.Drawing) for i in b.items if isinstance(i, m.Edge)]
    assert len(svg.findall(SVG + "circle")) == len(nodes) == 10
    assert len(svg.findall(SVG + "line")) == len(edges) == 21
    labels = ["".join(t.itertext()) for t in svg.iter(SVG + "text")]
    assert labels.count("0.1") == 21 and "x[1]2" in labels and "layer 1: sigmoid" in labels
    assert html.runs(r"\mathit{out}^{(0)}_{1}") == [[0, "out"], [1, "(0)"], [-1, "1"]]


def _evil_file(tmp_path, name):
    lines = (PROBLEMS / name).read_text(encoding="utf-8").splitlines()
    quoted = "'" + EVIL.replace("'", "''") + "'"
    lines = [f"title: {quoted}" if l.startswith("title:") else
             f"description: {quoted}" if l.startswith("description:") else l for l in lines]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["seed001_q1_sigmoid_sgd.yaml", "seed003_ex2_logcosh.yaml"])
def test_text_from_a_problem_file_is_escaped(tmp_path, name):
    out = html.write(_document(_evil_file(tmp_path, name)))
    root = ET.fromstring(out)
    assert "<script" not in out and not list(root.iter("script")) and not list(root.iter("b"))
    assert out.count("&lt;script&gt;alert(1)&lt;/script&gt; &amp; ") == 2  # title and description
    # no MathJax delimiter of the user's survives in one piece of text: the title's $x^2$
    # stays text; the description's is a formula, read by the graph parser and printed by
    # SymPy (or text too, where x is a vector of the problem)
    escaped = out.count("<span>$</span>x^2<span>$</span> <span>\\</span>(y<span>\\</span>)")
    assert escaped == 2 or (escaped == 1 and "\\(x^{2}\\)" in out), out


def test_text_is_escaped_in_every_block_that_carries_text():
    words = m.plain(EVIL + "\x01")
    doc = m.Document([
        m.Title(words, words), m.Heading(words, level=2, note=words), m.Para(words), m.Para(words), m.Break(),
        m.Skip("small"), m.Table([words], [[words]], "l"), m.Tables([m.Table([words], [[words]], "r")]),
        m.Facts([(words, words)]), m.Items([words]), m.Columns([("0.5", [m.Para(words)])]),
        m.Group("small", [m.Para((m.Styled("colour:red!60!black", words), m.Code(EVIL)))]),
        m.Center([m.Display(m.Math("a < b"))]), m.Align([m.Row(m.Math("x &= 1"))]),
        m.MathTable(["a"], [[m.Math("1")], None]),
        m.Drawing([m.Node("a", 0, 0, m.Math("x_1"), "inp"), m.Node("c", 2, 0, m.Math("y"), "outp"),
                   m.Tag("a", words), m.Tag("c", words, "east"), m.Edge("a", "c", m.Math("0.5")),
                   m.Caption(0, 1, words), m.Box("b", 0, -2, [words], 1.0), m.Box("d", 3, -2, [words], 1.0),
                   m.Arrow("b", "d", m.Math("W"), m.Math("2 \\times 3")), m.Label(0, 0, words),
                   m.Region([(0, 0), (1, 0), (0, 1)], "pos"), m.Region([(0, 0), (1, 1), (0, 1)]),
                   m.Segment((0, 0), (1, 1)), m.Axes(1.0, m.Math("x_1"), m.Math("x_2"), [(0.5, "1")])]),
    ])
    out = html.write(doc)
    root = ET.fromstring(out)
    assert "<script" not in out and "\x01" not in out and not list(root.iter("b"))
    assert out.count("&lt;script&gt;") == 22  # each of the 22 places that show the words, once
    assert "\\(a &lt; b\\)" not in out and "\\[a &lt; b\\]" in out and 'style="color:#990000"' in out
    assert not list(root.iter(SVG + "span"))  # SVG text is plain text (no HTML inside)
