"""Pages a lecturer hands out unedited (issue 12).

Every example problem compiles without a line running into the margin (pdflatex's
``Overfull \\hbox`` over 1pt fails the test; an ``Overfull \\vbox`` is reported), and
the layout rules hold: no display split across pages, the network caption kept with its
drawing, edge labels that never overlap, matrices up to 12 x 12 shown in full (larger
ones shortened and given whole in an appendix), layers up to 12 units drawn unit by
unit, words in the singular for one, no class for a regression output, titles in any
script TeX can print (a clear error for one it cannot), and a very long word broken.
"""

import re
import subprocess
import unicodedata
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conftest import PROBLEMS
from backprop_solver import api, compile as cp
from backprop_solver.document import fmt, latex, model as m
from backprop_solver.errors import InputError, plural

EXAMPLES = sorted(PROBLEMS.glob("*.yaml"))


def overfull(log):
    """[(kind, points, where)] of every overfull box in a pdflatex log."""
    return [(kind, float(pt), where) for kind, pt, where in
            re.findall(r"Overfull \\([hv])box \((\d+(?:\.\d+)?)pt too \w+\) (.*)", log)]


def compile_with_log(solution, folder):
    """(log text, pdf path) of a Solution compiled into ``folder``."""
    pdf, log = folder / "doc.pdf", folder / "doc.log"
    cp.compile_pdf(solution.tex, pdf, source_name=solution.problem.file, log_path=log)
    return log.read_text(encoding="latin-1"), pdf


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    """Every example solved to PDF (pdflatex in parallel threads): name -> (log, LaTeX)."""
    def one(path, solution):
        return path.stem, (compile_with_log(solution, tmp_path_factory.mktemp(path.stem))[0], solution.tex)

    solutions = [api.solve(p) for p in EXAMPLES]
    for s in solutions:  # the Python side in this thread, pdflatex in many
        s.tex
    with ThreadPoolExecutor(8) as pool:
        return dict(pool.map(one, EXAMPLES, solutions))


@pytest.mark.parametrize("name", [p.stem for p in EXAMPLES])
def test_no_line_runs_into_the_margin(logs, name):
    boxes = overfull(logs[name][0])
    for kind, pt, where in boxes:
        if kind == "v":
            print(f"{name}: Overfull \\vbox ({pt}pt) {where}")
    wide = [(pt, where) for kind, pt, where in boxes if kind == "h" and pt > 1]
    assert not wide, f"{name}: Overfull \\hbox {wide}"


# ------------------------------------------------------------------ the layout rules

def small(sizes, acts="sigmoid", loss="squared_error", weights=None, **extra):
    """A problem mapping: a network of ``sizes``, random weights (seed 4), one sample."""
    rng = np.random.default_rng(4)
    return {"title": "t", "network": {"sizes": sizes, "activation": acts,
                                      "weights": weights or {"random": {"seed": 4, "low": -1, "high": 1}},
                                      "biases": 0},
            "loss": loss, "learning_rate": 0.5,
            "data": [{"x": rng.uniform(-1, 1, sizes[0]).round(3).tolist(), "y": [0.5] * sizes[-1]}], **extra}


def blocks(doc, kind):
    return [b for b in m.walk(doc.blocks) if isinstance(b, kind)]


@pytest.mark.parametrize("name", [p.stem for p in EXAMPLES])
def test_no_equation_breaks_across_pages(logs, name):
    """A line that continues an equation (it starts at its & ) follows \\* (no page
    break); pages break only between equations."""
    tex = logs[name][1]
    assert not re.search(r"\\\\(\[[^]]*\])?\s*&", tex.replace(r"\\*", ""))


def test_the_caption_stays_with_its_figure():
    tex = api.solve(PROBLEMS / "seed001_q2a_tanh_sgd.yaml").tex
    keep = tex.index(r"\begin{minipage}{\linewidth}")
    figure = tex[keep:tex.index(r"\end{minipage}", keep)]
    assert r"\begin{tikzpicture}" in figure and "Each edge carries its initial weight" in figure


def test_a_2_10_1_network_is_drawn_unit_by_unit():
    doc = api.solve(PROBLEMS / "seed000_ex2_two_moons.yaml").document
    (drawing,) = blocks(doc, m.Drawing)
    assert sum(isinstance(i, m.Node) for i in drawing.items) == 13
    assert not any(isinstance(i, m.Box) for i in drawing.items)


def test_crowded_labels_leave_the_edges_for_a_weight_table():
    """seed004's 4-5-1 labels would meet: the edges go bare and a table gives every
    weight; q1's fit on their edges, none meeting another label, edge or unit."""
    s = api.solve(PROBLEMS / "seed004_4_5_1_sigmoid.yaml")
    (drawing,) = blocks(s.document, m.Drawing)
    assert all(e.label is None for e in drawing.items if isinstance(e, m.Edge))
    tables = [c for t in blocks(s.document, m.Tables) for c in t.tables]
    cells = {latex.math(cell[0]) for t in tables for row in t.rows for cell in row[1:]}
    assert {fmt(w) for W in s.problem.weights for w in W.ravel()} <= cells
    (drawing,) = blocks(api.solve(PROBLEMS / "seed001_q1_sigmoid_sgd.yaml").document, m.Drawing)
    assert sum(isinstance(e, m.Edge) and e.label is not None for e in drawing.items) == 21


def test_a_10x2_matrix_is_shown_in_full():
    s = api.solve(PROBLEMS / "seed000_ex2_two_moons.yaml")
    W = s.problem.weights[0]
    assert W.shape == (10, 2)
    assert latex.matrix(m.Matrix(W, 6, 12, 12)) in s.tex and "in full" not in s.tex


def test_a_13x13_matrix_is_shortened_and_given_whole_in_the_appendix(tmp_path):
    s = api.solve(small([13, 13, 1]))
    W = s.problem.weights[0]
    tex = s.tex
    assert r"\underset{\text{in full: A1}}{\begin{bmatrix}" in tex and r"\vdots" in tex
    appendix = tex[tex.index("Appendix: matrices in full"):]
    assert all("$" + fmt(w) + "$" in appendix for w in W.ravel())
    log, _ = compile_with_log(s, tmp_path)
    assert not [b for b in overfull(log) if b[0] == "h" and b[1] > 1]


def test_one_is_singular():
    assert plural(1, "unit") == "1 unit" and plural(2, "unit") == "2 units"
    (drawing,) = blocks(api.solve(small([13, 1])).document, m.Drawing)
    words = [w for i in drawing.items if isinstance(i, m.Box) for line in i.lines for w in line]
    assert "1 unit" in words and "13 units" in words and "1 units" not in words
    bad = small([1, 1])
    bad["predict"] = [[1, 2]]
    with pytest.raises(InputError, match=r"predict\[0\]: expected 1 number \(1 input\), got 2"):
        api.solve(bad)


def test_a_regression_output_has_no_class():
    doc = api.solve(small([2, 3, 1], ["tanh", "linear"], predict=[[0.5, -0.5]])).document
    (table,) = blocks(doc, m.MathTable)[-1:]
    assert len(table.header) == 3 and r"\text{class}" not in table.header
    assert "class" not in latex.write(doc).split("Predictions")[1]
    q1 = api.solve(PROBLEMS / "seed001_q1_sigmoid_sgd.yaml").document  # class scores keep their class
    assert blocks(q1, m.MathTable)[-1].header[-1] == r"\text{class}"


def test_titles_in_other_scripts_print_as_written(tmp_path):
    title = "Straße, Ørsted, Łódź, naïve café: Ω-Netz, αβγ, Ελληνικά"
    s = api.solve(dict(small([2, 1]), title=title, description="déjà vu ½ 5 €"))
    log, pdf = compile_with_log(s, tmp_path)
    assert "[U+" not in s.tex and not [b for b in overfull(log) if b[0] == "h" and b[1] > 1]
    text = unicodedata.normalize("NFC", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                                       text=True, check=True).stdout)
    assert all(w in text for w in ("Straße", "Ørsted", "café", "déjà", "Ω-Netz", "αβγ", "½"))
    with pytest.raises(InputError, match=r"^<problem>: title: the character 网 \(U\+7F51"):
        api.solve(dict(small([2, 1]), title="网络"))


def test_a_very_long_word_is_broken(tmp_path):
    word = "backpropagation" * 200
    s = api.solve(dict(small([2, 1]), title=word[:3000], description=f"before {word[:3000]} after"))
    log, _ = compile_with_log(s, tmp_path)
    assert not [b for b in overfull(log) if b[0] == "h" and b[1] > 1]
