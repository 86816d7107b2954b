"""Charts of a training run (solver.document.model.Chart): loss and accuracy curves,
decision regions with training and test points, networks drawn by their weights.

A document of a 1,500-epoch, 200-point run compiles with the real compile stage in
well under 2 s, without a box running into the margin, into a small LaTeX file; its
HTML is well-formed XHTML with one inline SVG a chart. The helpers both writers share
are checked on their own: nice ticks, thinned lines that keep their spikes, clipping,
merged regions.
"""

import math
import re
import resource
import time
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest

from backprop_solver import compile as cp
from backprop_solver.document import html, latex, model as m

SVG = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert(1)</script> & $x^2$ \\(y\\) ]]> <b> \\input{/etc/passwd} 50% #1 ~a_b"
EPOCHS = 1500


def overfull(log):
    return re.findall(r"Overfull \\([hv])box \((\d+(?:\.\d+)?)pt too \w+\)", log)


def _circle(n=120, radius=3.5):
    """The decision regions of a circle classifier over [-6, 6]^2 (n x n cells)."""
    c = -6 + 12 * (np.arange(n) + 0.5) / n
    return [[int(math.hypot(x, y) < radius) for x in c] for y in c]


def training_document():
    """Two runs of 1,500 epochs (training loss solid, test loss dashed, log axis),
    three charts side by side, the decision regions of a circle with 200 points and
    the network drawn by its weights."""
    rng = np.random.default_rng(1)
    epochs = np.arange(1, EPOCHS + 1)
    losses, accuracy = [], []
    for run, rate in enumerate((200, 450)):
        train = 0.7 * np.exp(-epochs / rate) + 0.01 + 0.03 * rng.random(EPOCHS) * np.exp(-epochs / 800)
        test = 1.3 * train + 0.015
        if run == 1:
            train[900] = 3.0  # a spike the thinned line keeps
        losses += [m.Line(epochs, train, m.plain(f"run {run + 1}: training"), run),
                   m.Line(epochs, test, m.plain(f"run {run + 1}: test"), run, dashed=True)]
        accuracy.append(m.Line(epochs, 1 - 0.5 * np.exp(-epochs / rate) - 0.03 * rng.random(EPOCHS),
                               m.plain(f"run {run + 1}"), run))
    loss = m.Chart(losses, (0, EPOCHS), (0.005, 5), m.plain("epoch"), m.plain("loss"), width=17, height=6,
                   log_y=True, title=m.plain("Loss over epochs"))
    runs = [m.Chart(losses[2 * r:2 * r + 2], (0, EPOCHS), (0.005, 5), m.plain("epoch"), m.plain("loss"),
                    width=5.5, height=4.5, log_y=True, title=m.plain(f"Run {r + 1}")) for r in range(2)]
    acc = m.Chart(accuracy, (0, EPOCHS), (0.4, 1), m.plain("epoch"), m.plain("accuracy"), width=5.5, height=4.5,
                  title=m.plain("Accuracy"))
    pts = rng.uniform(-6, 6, (200, 2))
    cls = (np.hypot(pts[:, 0], pts[:, 1]) < 3.5).astype(int)
    boundary = m.Chart([m.Regions(-6, 6, -6, 6, _circle()),
                        m.Dots(pts[:140, 0], pts[:140, 1], cls[:140], label=m.plain("training")),
                        m.Dots(pts[140:, 0], pts[140:, 1], cls[140:], hollow=True, label=m.plain("test"))],
                       (-6, 6), (-6, 6), m.Math("x_1"), m.Math("x_2"), width=5.5, height=5.8,
                       title=m.plain("Decision boundary"))
    w1, w2 = rng.normal(0, 1, (3, 2)), rng.normal(0, 1, 3)
    w1[0, 0] = 0.01  # near zero: a faint hairline
    largest = max(abs(w1).max(), abs(w2).max())
    network = [m.Node(f"i{j}", 0, -1.5 * j, m.Math(f"x_{j + 1}"), "inp") for j in range(2)]
    network += [m.Node(f"h{k}", 3, 0.75 - 1.5 * k, m.Math(f"h_{k + 1}"), "hid") for k in range(3)]
    network += [m.Node("o", 6, -0.75, m.Math("y"), "outp")]
    network += [m.Edge.weighted(f"i{j}", f"h{k}", w1[k, j], largest) for j in range(2) for k in range(3)]
    network += [m.Edge.weighted(f"h{k}", "o", w2[k], largest) for k in range(3)]
    evil = m.Chart([m.Line([0, 1, 2], [3, 1, 2], m.plain(EVIL))], (0, 2), (0, 3), m.plain(EVIL), m.plain(EVIL),
                   width=8, height=4, title=m.plain("a title: " + EVIL[:26]))
    return m.Document([
        m.Title(m.plain("A training run")), m.Heading(m.plain("Loss")), m.Keep([loss]),
        m.Columns([("0.32", [c]) for c in runs + [acc]]),
        m.Heading(m.plain("Decision boundary and network")),
        m.Columns([("0.34", [boundary]), ("0.62", [m.Drawing(network)])]),
        m.Center([evil]),
    ])


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """(LaTeX source, pdflatex log, (CPU seconds, wall seconds) of pdflatex, PDF) of the
    training document, written and compiled as ``backprop solve`` does."""
    folder = tmp_path_factory.mktemp("charts")
    tex = latex.write(training_document())
    cpu = _child_cpu()
    start = time.perf_counter()
    pdf = cp.compile_pdf(tex, folder / "doc.pdf", log_path=folder / "doc.log")
    seconds = (_child_cpu() - cpu, time.perf_counter() - start)
    return tex, (folder / "doc.log").read_text(encoding="latin-1"), seconds, pdf


def _child_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_a_training_run_compiles_fast_into_a_small_file(compiled):
    tex, log, (cpu, wall), pdf = compiled
    assert pdf.stat().st_size > 0
    assert not overfull(log), overfull(log)
    # about 0.6 s on an idle machine: the CPU time pdflatex took (the wall time of a
    # busy machine's test run only bounded by the 5 s a training document may take)
    assert cpu < 2.0 and wall < 5.0, f"pdflatex took {cpu:.2f} s of CPU time, {wall:.2f} s in all"
    assert len(tex.encode()) < 300_000
    assert "pgfplots" not in tex
    # few decimals: no coordinate is written with more than two
    assert not re.search(r"\{-?\d+\.\d{3,}\}\{", tex)
    body = tex[tex.index(r"\begin{document}"):]
    assert r"\input{" not in body and r"\textbackslash{}input\{/etc/passwd\}" in body


def test_a_long_curve_is_thinned_and_keeps_its_spike(compiled):
    tex = compiled[0]
    line = m.Line(np.arange(EPOCHS), np.r_[np.ones(900), 3.0, np.ones(EPOCHS - 901)])
    xs, ys = line.thinned()
    assert len(xs) <= m.LINE_POINTS and xs[0] == 0 and xs[-1] == EPOCHS - 1 and max(ys) == 3.0
    # each of the 11 curves drawn is one path of at most 400 points
    paths = re.findall(r"\\bpm(?:\{[^}]*\}){2}\n?(?:(?:\\bpl(?:\{[^}]*\}){2})\n?)*", tex)
    assert len(paths) == 11 and all(p.count(r"\bpl") < m.LINE_POINTS for p in paths)


@pytest.mark.parametrize("n", [7, 100, 1500, 10_000])
def test_thin_keeps_the_extremes_of_every_stretch(n):
    rng = np.random.default_rng(n)
    ys = rng.normal(size=n).cumsum()
    xs, thin = m.thin(range(n), ys, 40)
    assert len(xs) <= max(40, n if n <= 40 else 0) and xs == sorted(xs) and xs[0] == 0 and xs[-1] == n - 1
    assert max(thin) == ys.max() and min(thin) == ys.min()
    assert all(ys[x] == y for x, y in zip(xs, thin))


def test_thin_keeps_a_break_where_a_value_is_not_a_number():
    ys = np.ones(1000)
    ys[500:510] = np.nan
    _, thin = m.thin(range(1000), ys, 100)
    assert any(math.isnan(y) for y in thin)


def test_the_html_is_well_formed_with_one_svg_a_chart():
    doc = training_document()
    out = html.write(doc)
    root = ET.fromstring(out)
    assert not list(root.iter("script")) and not list(root.iter("b")) and "<script" not in out
    charts = [d for d in root.iter("div") if d.get("class") == "bp-chart"]
    assert len(charts) == 6
    polylines = [p for c in charts for p in c.iter(SVG + "polyline")]
    curves = [p for p in polylines if len(p.get("points").split()) > 2]  # legend samples have 2 points
    assert len(curves) == 11 and all(len(p.get("points").split()) <= m.LINE_POINTS for p in curves)
    assert sum(1 for p in curves if p.get("stroke-dasharray")) == 4
    circles = [c for chart in charts for c in chart.iter(SVG + "circle")]
    assert len(circles) >= 200  # every point lies in the axes (and the legend's samples)
    network = [s for s in root.iter(SVG + "svg") if "bp-drawing" in s.get("class", "")][-1]
    assert network is not None
    # the edges by weight: a path a look, its colour mixed with white where the line is thin
    tints = {"#" + m.light(c, t / 100): t for c in m.EDGE_COLOURS.values() for t in range(1, 101)}
    edges = [e for s in root.iter(SVG + "svg") for e in s.iter(SVG + "path") if e.get("stroke") in tints]
    assert sum(e.get("d").count("M") for e in edges) == 9 and min(tints[e.get("stroke")] for e in edges) < 50
    assert out.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4  # legend, title, two axis labels
    assert not list(root.iter(SVG + "span"))


def test_the_same_ticks_in_both_writers(compiled):
    tex = compiled[0]
    out = html.write(training_document())
    for label in ("0.01", "0.1", "500", "1000", "1500", "0.8"):
        assert f"{{${label}$}}" in tex and f">{label}</tspan>" in out
    assert "\u22125</tspan>" in out and "{$-5$}" in tex  # a minus sign, in both


# ------------------------------------------------------------------ ticks


@pytest.mark.parametrize("low, high, n", [(0, 1, 5), (0, 1500, 5), (-6, 6, 5), (0.4, 1, 4), (-0.35, 0.35, 4),
                                          (1e-6, 3e-6, 5), (0.1, 0.3, 6), (2, 3e6, 5), (-17.3, 123.9, 6),
                                          (0.001, 0.0012, 5), (1e6, 1e6 + 50, 5)])
def test_ticks_are_nice_and_cover_the_range(low, high, n):
    t = m.ticks(low, high, n)
    values = [v for v, _ in t]
    steps = np.diff(values)
    step = steps[0]
    assert 3 <= len(t) <= n + 2 and np.allclose(steps, step, rtol=1e-6)
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
    assert min(abs(mantissa - k) for k in (1, 2, 5)) < 1e-6, step
    assert low - 1e-9 * abs(step) <= values[0] < low + step and high - step < values[-1] <= high + 1e-9 * abs(step)
    assert all(abs(v / step - round(v / step)) < 1e-6 for v in values)
    for v, label in t:
        assert not re.search(r"\d{6,}[1-9]|0000000|9999", label), label  # no rounding noise
        if "cdot" not in label:
            assert float(label) == pytest.approx(v, rel=1e-12, abs=1e-15)


def test_ticks_labels_carry_no_noise():
    assert [lab for _, lab in m.ticks(0, 0.9, 9)] == ["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"]
    assert m.ticks(0, 0.9, 9)[3][0] == 0.3  # not 0.30000000000000004
    assert [lab for _, lab in m.ticks(0, 1)] == ["0", "0.2", "0.4", "0.6", "0.8", "1"]
    assert [lab for _, lab in m.ticks(-1e-5, 3e-5)][0] == r"-1 \cdot 10^{-5}"


def test_log_ticks_are_powers_of_ten():
    assert m.ticks(0.005, 5, log=True) == [(0.01, "0.01"), (0.1, "0.1"), (1.0, "1")]
    assert [lab for _, lab in m.ticks(1e-8, 10, log=True)] == ["10^{-8}", "10^{-6}", "10^{-4}", "10^{-2}", "10^{0}"]
    assert [v for v, _ in m.ticks(1e-8, 10, 10, log=True)] == [10.0 ** k for k in range(-8, 2)]
    assert [lab for _, lab in m.ticks(0.05, 0.7, log=True)] == ["0.05", "0.1", "0.2", "0.5"]  # within a decade
    assert [lab for _, lab in m.ticks(0.2, 0.3, 3, log=True)] == ["0.2", "0.25", "0.3"]
    with pytest.raises(ValueError):
        m.ticks(0, 1, log=True)
    with pytest.raises(ValueError):
        m.ticks(1, 1)


def test_nice_range_ends_at_ticks():
    assert m.nice_range(1, 1487) == (0.0, 1500.0)
    assert m.nice_range(0.0123, 0.7, log=True) == (0.01, 1.0)
    assert m.nice_range(-5.7, 5.9) == (-6.0, 6.0)


# ------------------------------------------------------------------ layout


@pytest.mark.parametrize("width", [4.0, 5.5, 7.0, 17.0])
@pytest.mark.parametrize("x_range", [(0, 1500), (0, 100_000), (-6, 6), (0.001, 0.0012)])
def test_tick_labels_never_meet(width, x_range):
    p = m.Plot(m.Chart([], x_range, (1e-4, 10), m.plain("x"), m.plain("y"), width=width, height=4, log_y=True))
    l, b, r, t = p.box
    widths = [m._label_width(lab) for _, lab in p.x_ticks]
    pos = [x for x, _ in p.x_ticks]
    assert all(pos[i + 1] - pos[i] > (widths[i] + widths[i + 1]) / 2 for i in range(len(pos) - 1))
    assert pos[-1] + widths[-1] / 2 <= width and pos[0] - widths[0] / 2 >= 0
    assert all(b <= y <= t for y, _ in p.y_ticks) and 0 < l < r <= width and 0 < b < t <= 4


def test_lines_dots_and_regions_stay_inside_the_axes():
    regions = m.Regions(-10, 10, -10, 10, _circle(40))  # wider than the axes
    line = m.Line([0, 1, 2, 3], [0.5, 50, float("nan"), 0.2])  # off the top, and a break
    dots = m.Dots([0, 5, 20], [0.5, 1.0, 0.5], [0, 1, 1])
    p = m.Plot(m.Chart([regions, line, dots], (-6, 6), (0, 1)))
    l, b, r, t = p.box
    shapes = dict((type(i), s) for i, s in p.layers)
    assert all(l - 1e-9 <= x0 < x1 <= r + 1e-9 and b - 1e-9 <= y0 < y1 <= t + 1e-9
               for _, x0, y0, x1, y1 in shapes[m.Regions])
    assert len(shapes[m.Line]) == 1  # clipped at the top, broken at the NaN: one piece with two parts drawn
    assert all(l - 1e-9 <= x <= r + 1e-9 and b - 1e-9 <= y <= t + 1e-9 for piece in shapes[m.Line] for x, y in piece)
    assert len(shapes[m.Dots]) == 2  # the point at x = 20 lies outside


def test_a_log_axis_puts_zero_below_the_axes():
    p = m.Plot(m.Chart([m.Line([0, 1, 2], [1.0, 0.0, 1.0])], (0, 2), (0.1, 10), log_y=True))
    (left, right) = p.layers[0][1]
    assert left[-1][1] == pytest.approx(p.box[1]) and right[0][1] == pytest.approx(p.box[1])


def test_regions_merge_into_a_few_hundred_rectangles():
    cells = _circle(120)
    rects = m.Regions(-6, 6, -6, 6, cells).rectangles()
    assert len(rects) < 300
    grid = np.full((120, 120), -1)
    for k, c0, r0, c1, r1 in rects:
        assert (grid[r0:r1, c0:c1] == -1).all()  # no overlap
        grid[r0:r1, c0:c1] = k
    assert (grid == np.array(cells)).all()  # every cell, in its class


def test_a_chart_too_small_or_with_bad_ranges_is_an_error():
    with pytest.raises(ValueError, match="too small"):
        m.Plot(m.Chart([], (0, 1), (0, 1), width=1, height=1))
    with pytest.raises(ValueError, match="above 0"):
        m.Plot(m.Chart([], (0, 1), (0, 1), log_y=True))
    with pytest.raises(ValueError, match="low to high"):
        m.Plot(m.Chart([], (1, 0), (0, 1)))


def test_a_lone_item_is_drawn_over_its_data():
    line = m.Line([0, 10, 20], [0.3, 0.9, 0.6])
    chart = m.Chart.of(line)
    assert chart.x_range == (0.0, 20.0) and chart.y_range == (0.3, 0.9)
    assert r"\bpm" in latex.WRITERS[m.Line](line) and "<polyline" in html.WRITERS[m.Line](line)


# ------------------------------------------------------------------ edges by weight


def test_weighted_edges():
    big, tiny = m.Edge.weighted("a", "b", -2.0, 2.0), m.Edge.weighted("a", "b", 1e-4, 2.0)
    assert (big.style, big.width, big.opacity()) == ("neg", 3.0, 1.0)
    assert tiny.style == "pos" and tiny.width == 0.15 and tiny.opacity() < 0.5
    nodes = [m.Node("a", 0, 0, m.Math("x"), "inp"), m.Node("b", 3, 0, m.Math("y"), "outp")]
    assert tiny.look() == (0.15, 0.41) and big.look() == (3.0, 1.0)
    tex = latex.write(m.Document([m.Drawing(nodes + [big, tiny, m.Edge("a", "b", width=1.5)])]))
    assert r"\definecolor{bpwneg}{HTML}{F59322}" in tex and r"\definecolor{bpwpos}{HTML}{0877BD}" in tex
    # in PGF's basic layer, the faint line first; no transparency
    faint, strong = tex.index(r"\pgfsetlinewidth{0.15pt}\pgfsetstrokecolor{bpwpos!41!white}\def\bpback{1pt}"), \
        tex.index(r"\pgfsetlinewidth{3pt}\pgfsetstrokecolor{bpwneg}\def\bpback{1pt}")
    assert faint < strong and r"\bpe{a}{b}{10000}{0}" in tex and "opacity" not in tex
    assert r"\pgfsetlinewidth{1.5pt}\pgfsetstrokecolor{gray!70}" in tex  # the arrow, thick
    root = ET.fromstring(html.write(m.Document([m.Drawing(nodes + [big, tiny])])))
    paths = list(root.iter(SVG + "path"))
    assert [p.get("stroke") for p in paths] == ["#" + m.light("0877BD", 0.41), "#F59322"]
    assert not list(root.iter(SVG + "polygon")) and "opacity" not in ET.tostring(root, encoding="unicode")


def _path_points(pdf):
    """The points of the paths (operators m, l, c) a PDF's pages draw, in page coordinates (bp)."""
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf.read_bytes(), re.S):
        try:
            ops = zlib.decompress(raw).decode("latin-1").split()
        except zlib.error:
            continue
        if "cm" not in ops:
            continue  # a font
        ctm, stack, nums = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), [], []
        for tok in ops:
            try:
                nums.append(float(tok))
                continue
            except ValueError:
                pass
            if tok == "q":
                stack.append(ctm)
            elif tok == "Q":
                ctm = stack.pop()
            elif tok == "cm":
                a, b, c, d, e, f = nums[-6:]
                A, B, C, D, E, F = ctm
                ctm = (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)
            elif tok in ("m", "l", "c"):
                xy = nums[-(6 if tok == "c" else 2):]
                out += [(tok, ctm[0] * x + ctm[2] * y + ctm[4], ctm[1] * x + ctm[3] * y + ctm[5])
                        for x, y in zip(xy[::2], xy[1::2])]
            nums = []
    return out


def test_edges_end_where_tikz_ends_them(tmp_path):
    """Edges drawn in PGF's basic layer go from border to border as TikZ's \\draw between
    the nodes does (a long label widening a circle too), shortened at the end, with TikZ's
    arrow head; dots are the house style's: every point of every path is where TikZ puts it."""
    nodes = [m.Node("a", 0, 0, m.Math("x_1"), "inp"), m.Node("b", 3.6, 1.1, m.Math("z^{(1)}_{1}"), "hid"),
             m.Node("c", 7.2, -2.2, m.Math(r"\hat{y}_{\mathrm{a\,much\,longer\,label}}"), "outp"),
             m.Node("d", 2.0, -0.8, m.Math(""), "dot"), m.Node("e", 3.6, -1.1, m.Math(""), "dot")]
    edges = [m.Edge("a", "b"), m.Edge("b", "c"), m.Edge("a", "c", width=1.5), m.Edge.weighted("d", "e", -1.0, 2.0),
             m.Edge.weighted("a", "d", 0.1, 2.0), m.Edge.weighted("e", "c", 2.0, 2.0)]
    ours = latex.write(m.Document([m.Drawing(nodes + edges)]))
    assert r"\draw" not in ours and r"\node[dot]" not in ours
    tikz = ("\\begin{tikzpicture}\n\\definecolor{bpwpos}{HTML}{0877BD}\\definecolor{bpwneg}{HTML}{F59322}\n"
            + "".join(f"\\node[{n.style}] ({n.id}) at ({n.x:.2f},{n.y:.2f}) {{${latex.math(n.label)}$}};\n" for n in nodes)
            + "\\draw[edge] (a) -- (b);\\draw[edge] (b) -- (c);\\draw[edge, line width=1.5pt] (a) -- (c);\n"
            + "".join(f"\\draw[draw=bpw{e.style}, shorten >=1pt, line width={e.width}pt] ({e.a}) -- ({e.b});\n"
                      for e in edges[3:])
            + "\\end{tikzpicture}")
    head, rest = ours.split("\\begin{tikzpicture}")
    reference = head + tikz + rest.split("\\end{tikzpicture}")[1]
    points = [_path_points(cp.compile_pdf(tex, tmp_path / f"{name}.pdf", log_path=tmp_path / f"{name}.log"))
              for name, tex in (("ours", ours), ("tikz", reference))]
    assert len(points[0]) == len(points[1]) > 60
    for op, x, y in points[0]:
        assert min(math.hypot(x - u, y - v) for o, u, v in points[1] if o == op) < 0.02, (op, x, y)


def test_crosses_mark_points_in_both_writers():
    chart = m.Chart([m.Dots([0.0, 1.0], [0.0, 1.0], [0, 1]), m.Dots([1.0], [1.0], [0], cross=True)],
                    (-1, 2), (-1, 2), width=4, height=4)
    tex = latex.write(m.Document([chart]))
    assert tex.count("\\pgfsetstrokecolor{black}") == 1
    svg = html.write(m.Document([chart]))
    assert svg.count('stroke="#000" stroke-width') >= 2  # the frame and the cross
