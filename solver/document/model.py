"""The document model: what a worked solution shows, in no output format.

The render stage builds a :class:`Document` (solver.document.layered for layered
problems, solver.document.graph for graph problems); a writer turns it into one output
format (solver.document.latex: LaTeX for pdflatex). A new format is a new writer over
these blocks, a new kind of content a new block; neither copies a builder.

Two kinds of content run through the blocks:

- **text** is a tuple of pieces: a ``str`` is plain text (any character; the writer
  escapes it), a :class:`Math` inline mathematics, a :class:`Styled` piece bold, small,
  coloured..., a :class:`Code` piece a name as typed in a file;
- **mathematics** is a :class:`Math`: TeX math source (the notation MathJax reads in
  HTML and Moodle as well) with :class:`Matrix` pieces that keep their numbers, so
  that a writer formats them (:func:`fmt`, the one number formatter of every document
  and report) and another tool can read them.

A :class:`Chart` plots a training run (loss and accuracy curves, decision regions with
the data's points) from plain numbers; :class:`Plot` lays it out in cm and :func:`ticks`,
:func:`thin` and :func:`clip_line` do the arithmetic, once for every writer, which only
draws the shapes.

A row of an :class:`Align` (a :class:`Display`, a :class:`Para`) may carry a ``key``
(for example ``(1, 2, "z")``: update 1, layer 2, pre-activations; ``("values", "z3")``,
``("gradients", "z3")``, ``("updated", "v")`` in a graph problem's document) so that a
later pass finds the number it shows: ``backprop verify --pdf`` puts each claim beside
its row this way (:func:`walk`).
"""

import math
from dataclasses import dataclass, field

import numpy as np


def fmt(x, digits=6, tex=True):
    r"""``x`` to ``digits`` significant digits: the one number formatter of every
    document and report. TeX math by default; ``tex=False`` gives plain text
    (``2.5e-07``) for the terminal.

    >>> fmt(0.16264651, 6), fmt(-2.5e-7, 3), fmt(1.0), fmt(-0.0), fmt(-2.5e-7, 3, tex=False)
    ('0.162647', '-2.5 \\cdot 10^{-7}', '1', '0', '-2.5e-07')
    """
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"cannot show the number {x}")
    if x == 0:
        return "0"
    s = f"{x:.{digits}g}"
    if "e" in s and tex:
        mant, exp = s.split("e")
        return rf"{mant} \cdot 10^{{{int(exp)}}}"
    return s


# ---------------------------------------------------------------------------------------
# content


class Math(tuple):
    """Mathematics: TeX math strings and :class:`Matrix` pieces, in order.

    >>> Math("x = ", 1) + "y"
    Math('x = ', '1', 'y')
    """

    def __new__(cls, *pieces):
        flat = []
        for p in pieces:
            if isinstance(p, Math):
                flat.extend(p)
            elif isinstance(p, Matrix):
                flat.append(p)
            else:
                flat.append(str(p))
        return super().__new__(cls, flat)

    def __add__(self, other):
        return Math(*self, other)

    def __radd__(self, other):
        return Math(other, *self)

    def __repr__(self):
        return "Math(" + ", ".join(map(repr, self)) + ")"


@dataclass(frozen=True, eq=False)
class Matrix:
    """A vector or matrix of numbers, shown to ``digits`` significant digits; a vector
    is a column unless ``row``. Larger than ``max_rows`` x ``max_cols`` it is elided
    with dots (the first entries and the last)."""
    values: np.ndarray
    digits: int = 6
    max_rows: int = 8
    max_cols: int = 8

    def __post_init__(self):
        a = np.asarray(self.values, dtype=float)
        object.__setattr__(self, "values", a[:, None] if a.ndim == 1 else a)


@dataclass(frozen=True)
class Styled:
    """Text in a style: "bold", "italic", "small" or "colour:NAME" (an xcolor name)."""
    style: str
    content: tuple


@dataclass(frozen=True)
class Code:
    """A name as the user types it (a key of the problem file, a file name)."""
    text: str


def text(*pieces):
    """Text from pieces; a ``str`` piece may hold inline mathematics between ``$`` signs
    (for the builders' own sentences, never for text from a problem file).

    >>> text("with $\\\\eta = 0.1$:")
    ('with ', Math('\\\\eta = 0.1'), ':')
    """
    out = []
    for p in pieces:
        if isinstance(p, str):
            for i, part in enumerate(p.split("$")):
                if part:
                    out.append(Math(part) if i % 2 else part)
        elif isinstance(p, tuple) and not isinstance(p, Math):
            out.extend(p)
        else:
            out.append(p)
    return tuple(out)


def plain(s):
    """Text that is only plain text, ``$`` signs included (a problem file's words)."""
    return (str(s),) if s else ()


# ---------------------------------------------------------------------------------------
# blocks


@dataclass
class Title:
    title: tuple
    subtitle: tuple = ()


@dataclass
class Heading:
    """A section (level 1) or subsection (level 2); ``number`` as printed, ``note`` in
    small type after the title."""
    title: tuple
    level: int = 1
    number: str = None
    note: tuple = None


@dataclass
class Para:
    """A line of text; consecutive Para blocks form one paragraph unless a :class:`Break`
    separates them. ``key`` names the quantity the line ends with."""
    content: tuple
    key: tuple = None


@dataclass
class Break:
    """The end of a paragraph."""


@dataclass
class Skip:
    """Vertical space between blocks: "small", "medium", "big"; "page" starts a new page
    (an exam sheet's next variant; HTML has no pages and shows a plain break)."""
    size: str = "medium"


@dataclass
class Display:
    """One displayed equation; ``key`` names the quantity it ends with."""
    math: Math
    key: tuple = None


@dataclass
class Row:
    """One row of an :class:`Align`; ``key`` names the quantity it ends with."""
    math: Math
    key: tuple = None


@dataclass
class Align:
    """Equations aligned at their ``&``; ``gap`` is the extra space between rows (a TeX
    length such as "3pt", or None)."""
    rows: list
    gap: str = "3pt"


@dataclass
class Table:
    """A table of text cells (each cell is text); ``align`` one letter per column (l, c,
    r); ``rule`` draws rules above, below and under the header; ``top`` aligns the table
    at its top line (tables side by side); ``stretch`` widens the rows."""
    header: list
    rows: list
    align: str
    rule: bool = True
    top: bool = False
    stretch: float = None


@dataclass
class MathTable:
    """A displayed table whose cells are mathematics (numbers and vectors), a vertical
    rule between columns; a row of None is a row of dots. ``keys`` (if given) has one
    mapping per row, column -> the quantity that cell shows."""
    header: list
    rows: list
    keys: list = None


@dataclass
class Facts:
    """Label-value pairs (both text): the properties of a problem."""
    items: list


@dataclass
class Columns:
    """Blocks side by side: (width as a fraction of the line, blocks) per column."""
    columns: list


@dataclass
class Group:
    """Blocks in one style ("small")."""
    style: str
    blocks: list


@dataclass
class Center:
    blocks: list


@dataclass
class Keep:
    """Blocks kept together on one page (a drawing and its caption)."""
    blocks: list


@dataclass
class Items:
    """A bulleted list; each item is text."""
    items: list


@dataclass
class Tables:
    """Tables set side by side, wrapping at the line's end (a long list of numbers)."""
    tables: list


# drawings ---------------------------------------------------------------------------------


#: the radius (cm) of a unit in style "dot" (TikZ: minimum size 2.4mm, no label), and of
#: one in the other styles when its label fits (minimum size 8.5mm)
DOT_RADIUS, UNIT_RADIUS = 0.12, 0.425


@dataclass
class Node:
    """A unit of a drawing at (x, y) cm: ``label`` is mathematics, ``style`` one of the
    house styles (inp, hid, outp, loss, unit; "dot": a small circle without a label, of
    radius :data:`DOT_RADIUS`, for a network drawn by its weights)."""
    id: str
    x: float
    y: float
    label: Math
    style: str


@dataclass
class Tag:
    """Text beside a node (a bias, a caption): at its ``side`` (north, south, east)."""
    node: str
    content: tuple
    side: str = "north"
    style: str = "bias"


@dataclass
class Edge:
    """An arrow from node ``a`` to node ``b``, its label (mathematics or None) at
    ``pos`` of the way.

    A connection drawn by its weight, as in the TensorFlow Playground, has ``style``
    "pos" (blue) or "neg" (orange) by the weight's sign and ``width``, its line width in
    pt, by its size: a line without an arrow head, thinner ones lighter too (see
    :meth:`opacity`; :meth:`weighted` makes one). ``width`` on an "edge" thickens the
    arrow."""
    a: str
    b: str
    label: Math = None
    pos: float = 0.5
    style: str = "edge"
    width: float = None

    @classmethod
    def weighted(cls, a, b, w, largest, thickest=3.0, label=None, pos=0.5):
        """The connection of weight ``w`` among weights of at most ``largest`` in size:
        ``thickest`` pt for the largest, a hairline (0.15 pt) near zero.

        >>> Edge.weighted("a", "b", -0.5, 2.0).style, Edge.weighted("a", "b", 0.5, 2.0).width
        ('neg', 0.75)
        """
        share = abs(float(w)) / largest if largest and math.isfinite(largest) and largest > 0 else 0.0
        return cls(a, b, label, pos, "neg" if w < 0 else "pos", round(max(0.15, thickest * min(share, 1.0)), 3))

    def opacity(self):
        """How opaque its line is drawn: 1, less for a line thinner than 1 pt (a weight
        near zero reads as faint as well as thin).

        >>> Edge("a", "b").opacity(), Edge("a", "b", width=0.15).opacity()
        (1.0, 0.405)
        """
        if self.width is None:
            return 1.0
        return round(min(1.0, 0.3 + 0.7 * max(self.width, 0.0)), 3)

    def look(self):
        """(width, tint) it is drawn with: its width (pt, or None) to :data:`WIDTH_STEP`,
        and the share of its colour mixed with white (1: the full colour), as opaque as
        :meth:`opacity` says of that width. On white paper a mixed colour looks as the
        transparent line would, and edges of one look are drawn as one path
        (:func:`edge_groups`).

        >>> Edge("a", "b").look(), Edge("a", "b", width=0.17).look(), Edge("a", "b", width=2.26).look()
        ((None, 1.0), (0.15, 0.41), (2.25, 1.0))
        """
        if self.width is None:
            return None, 1.0
        width = max(WIDTH_STEP, round(self.width / WIDTH_STEP) * WIDTH_STEP)
        return round(width, 2), round(Edge(self.a, self.b, width=width).opacity() + 1e-9, 2)


#: the widths of edges (pt) are drawn to this step: a network's edges of one sign then
#: fall into a few dozen looks, each drawn as one path
WIDTH_STEP = 0.05


def edge_groups(edges):
    """Edges gathered by their look: [((style, width, tint), [edges])] (see
    :meth:`Edge.look`), the lightest and thinnest first, so that strong connections are
    drawn over faint ones; the edges of a look keep their order. A writer draws each
    group as one path.

    >>> [(k, len(es)) for k, es in edge_groups([Edge("a", "b", style="pos", width=3.0),
    ...     Edge("a", "c", style="neg", width=0.16), Edge("b", "c", style="neg", width=0.15)])]
    [(('neg', 0.15, 0.41), 2), (('pos', 3.0, 1.0), 1)]
    """
    groups = {}
    for e in edges:
        width, tint = e.look()
        groups.setdefault((e.style, width, tint), []).append(e)
    return sorted(groups.items(), key=lambda g: (g[0][2], g[0][1] or 0.0, g[0][0]))


@dataclass
class Caption:
    """Text at a point of the drawing (a layer's name above its units)."""
    x: float
    y: float
    content: tuple


@dataclass
class Box:
    """A block of a block diagram: lines of text, ``height`` cm."""
    id: str
    x: float
    y: float
    lines: list
    height: float


@dataclass
class Arrow:
    """A thick arrow between boxes with mathematics above and below it."""
    a: str
    b: str
    above: Math
    below: Math


@dataclass
class Region:
    """A filled polygon (``fill`` "pos" or "neg"), or its outline when fill is None."""
    points: list
    fill: str = None


@dataclass
class Segment:
    """A thick line from one point to another (a decision boundary)."""
    a: tuple
    b: tuple


@dataclass
class Axes:
    """Axes through 0 from -size to size, labelled, with ``ticks`` (position, label)."""
    size: float
    x: Math
    y: Math
    ticks: list


@dataclass
class Label:
    """A small boxed text at a point (a piece's number)."""
    x: float
    y: float
    content: tuple


@dataclass
class Drawing:
    """A picture: the items above in drawing order; ``scale`` below 1 shrinks it."""
    items: list
    scale: float = 1.0
    styles: str = "network"


# charts -----------------------------------------------------------------------------------

#: the colours of series (Line.style 0, 1, 2, ...): the Okabe-Ito palette, told apart by
#: colour-blind readers too (then cycled)
SERIES_COLOURS = ("0072B2", "D55E00", "009E73", "CC79A7", "E69F00", "56B4E9", "000000")
#: the colours of classes (Dots, Regions): class 0 orange and class 1 blue as in the
#: TensorFlow Playground, then colours distinct from both (then cycled)
CLASS_COLOURS = ("F59322", "0877BD", "009E73", "CC79A7", "8C564B", "56B4E9")
#: weighted edges by sign, as in the Playground: positive blue, negative orange
EDGE_COLOURS = {"pos": CLASS_COLOURS[1], "neg": CLASS_COLOURS[0]}


def series_colour(style):
    """The colour (hex RRGGBB) of series ``style``."""
    return SERIES_COLOURS[int(style) % len(SERIES_COLOURS)]


def class_colour(k):
    """The colour (hex RRGGBB) of class ``k`` (of its dots)."""
    return CLASS_COLOURS[int(k) % len(CLASS_COLOURS)]


def light(colour, share=0.3):
    """``share`` of a hex colour, the rest white: a region's fill.

    >>> light("F59322"), light("0877BD")
    ('FCDFBD', 'B5D6EB')
    """
    rgb = [int(colour[i:i + 2], 16) for i in (0, 2, 4)]
    return "".join(f"{round(share * c + (1 - share) * 255):02X}" for c in rgb)


@dataclass
class Line:
    """A polyline through (xs[i], ys[i]) in data coordinates; ``label`` (text pieces, or
    None) goes in the legend; ``style``: a series index 0, 1, 2, ... (distinct colours,
    colour-blind safe: :data:`SERIES_COLOURS`) and ``dashed`` for e.g. the test curve. A
    value that is not a number (NaN) breaks the line; one off the axes is clipped. Drawn
    through at most :data:`LINE_POINTS` points (:meth:`thinned`)."""
    xs: list
    ys: list
    label: tuple = None
    style: int = 0
    dashed: bool = False

    def thinned(self, limit=None):
        """(xs, ys) through at most ``limit`` points (:func:`thin`)."""
        return thin(self.xs, self.ys, LINE_POINTS if limit is None else limit)


@dataclass
class Dots:
    """Points (xs[i], ys[i]) coloured by classes[i] (0, 1, 2, ...: :data:`CLASS_COLOURS`);
    ``hollow`` markers for the test points; ``label`` (text, or None) for the legend;
    ``cross``: black crosses over other dots (the points a classifier gets wrong), their
    classes unused."""
    xs: list
    ys: list
    classes: list
    hollow: bool = False
    label: tuple = None
    cross: bool = False


@dataclass
class Regions:
    """Decision regions: a grid of classes over [x0, x1] x [y0, y1]; cells[r][c] is the
    class of the cell in row r (r = 0 at the bottom) and column c (None: not filled);
    drawn as light fills, equal runs of a row merged into one rectangle, and such a
    rectangle with the same one of the rows above (so a 120 x 120 grid stays a few
    hundred rectangles): :meth:`rectangles`. ``label`` (text, or None) for the legend."""
    x0: float
    x1: float
    y0: float
    y1: float
    cells: list
    label: tuple = None

    def rectangles(self):
        """[(class, c0, r0, c1, r1)]: the cells of columns c0 <= c < c1 and rows r0 <= r < r1
        are all of that class.

        >>> Regions(0, 1, 0, 1, [[0, 0, 1], [0, 0, 1], [1, 1, 1]]).rectangles()
        [(0, 0, 0, 2, 2), (1, 2, 0, 3, 2), (1, 0, 2, 3, 3)]
        """
        done, open_ = [], {}  # (c0, c1, class) -> its first row
        rows = [list(r) for r in self.cells]
        for r, row in enumerate(rows + [[]]):
            runs, c = set(), 0
            while c < len(row):
                e = c + 1
                while e < len(row) and row[e] == row[c]:
                    e += 1
                if row[c] is not None:
                    runs.add((c, e, row[c]))
                c = e
            for key in sorted(set(open_) - runs, key=lambda k: (open_[k], k[0])):
                done.append((key[2], key[0], open_.pop(key), key[1], r))
            for key in runs - set(open_):
                open_[key] = r
        return sorted(done, key=lambda t: (t[2], t[1]))


@dataclass
class Chart:
    """A plot: axes with ticks over ``x_range`` x ``y_range`` (data units), axis labels
    (text or :class:`Math`), its ``items`` (:class:`Line`, :class:`Dots`,
    :class:`Regions`) in drawing order, a legend of the labelled items under it;
    ``width`` x ``height`` in cm (title, tick labels and axis labels included; the legend
    adds its lines below); ``log_y`` for a logarithmic loss axis; ``title`` (text) above
    it. Charts side by side: a :class:`Columns` of them (three of width 5.5 fit a line)."""
    items: list
    x_range: tuple
    y_range: tuple
    x_label: tuple = None
    y_label: tuple = None
    width: float = 7.0
    height: float = 5.0
    log_y: bool = False
    title: tuple = None

    @classmethod
    def of(cls, *items, **fields):
        """A chart of ``items`` over ranges that hold their data, extended to ticks."""
        xs, ys = [], []
        for i in items:
            if isinstance(i, Regions):
                xs += [i.x0, i.x1]
                ys += [i.y0, i.y1]
            else:
                xs += list(i.xs)
                ys += list(i.ys)
        log = fields.get("log_y", False)
        xs = [x for x in map(float, xs) if math.isfinite(x)] or [0.0, 1.0]
        ys = [y for y in map(float, ys) if math.isfinite(y) and (y > 0 or not log)] or [1.0, 10.0]
        fields.setdefault("x_range", nice_range(min(xs), max(xs)))
        fields.setdefault("y_range", nice_range(min(ys), max(ys), log=log))
        return cls(list(items), **fields)


#: the most points a Line is drawn through
LINE_POINTS = 400


def thin(xs, ys, limit=LINE_POINTS):
    """(xs, ys) as lists of at most ``limit`` points (``limit`` >= 8) that draw the same
    curve: the first and the last point, and of each of ``limit``/2 - 1 buckets between
    them its lowest and its highest (so a spike stays visible). A bucket that holds
    values that are not numbers keeps one of them (the break in the line) instead of
    its highest.

    >>> thin(range(10), [0, 5, 1, 1, 1, 1, 1, 1, -3, 0], 8)
    ([0, 1, 2, 4, 6, 8, 9], [0.0, 5.0, 1.0, 1.0, 1.0, -3.0, 0.0])
    """
    xs, ys = list(xs), np.asarray(ys, dtype=float)
    if len(xs) != len(ys):
        raise ValueError(f"a line of {len(xs)} x values and {len(ys)} y values")
    n = len(xs)
    if n <= limit:
        return xs, ys.tolist()
    buckets = max(1, (limit - 2) // 2)
    bounds = np.linspace(1, n - 1, buckets + 1).round().astype(int)
    keep = [0]
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b <= a:
            continue
        seg = ys[a:b]
        ok = ~np.isnan(seg)
        if not ok.any():
            keep.append(a)
            continue
        low = a + int(np.argmin(np.where(ok, seg, np.inf)))
        other = a + int(np.argmax(~ok)) if not ok.all() else a + int(np.argmax(np.where(ok, seg, -np.inf)))
        keep += sorted({low, other})
    keep.append(n - 1)
    return [xs[i] for i in keep], [float(ys[i]) for i in keep]


def _decimals(step):
    return max(0, -math.floor(math.log10(step) + 1e-9))


def ticks(low, high, n=5, log=False):
    r"""Tick marks for an axis from ``low`` to ``high``: [(value, label)], about ``n`` of
    them, at the multiples of a 1, 2 or 5 step that lie in the range (the first and the
    last less than a step from its ends), labelled without rounding noise (TeX math). On a
    logarithmic axis (``log``): powers of ten (every second, third... over many
    decades), or 1, 2 and 5 times them over less than a decade or two.

    >>> ticks(0, 1)
    [(0.0, '0'), (0.2, '0.2'), (0.4, '0.4'), (0.6, '0.6'), (0.8, '0.8'), (1.0, '1')]
    >>> [t for _, t in ticks(0, 1500, 5)], [t for _, t in ticks(-0.35, 0.35, 4)]
    (['0', '500', '1000', '1500'], ['-0.2', '0', '0.2'])
    >>> [t for _, t in ticks(1e-3, 2, log=True)], [t for _, t in ticks(1e-8, 10, log=True)]
    (['0.001', '0.01', '0.1', '1'], ['10^{-8}', '10^{-6}', '10^{-4}', '10^{-2}', '10^{0}'])
    >>> [t for _, t in ticks(0.05, 0.7, log=True)]
    ['0.05', '0.1', '0.2', '0.5']
    """
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"no axis from {low} to {high}")
    n = max(2, int(n))
    if log:
        if low <= 0:
            raise ValueError(f"a logarithmic axis from {low}: it must start above 0")
        a, b = math.ceil(math.log10(low) - 1e-9), math.floor(math.log10(high) + 1e-9)
        if b - a + 1 >= 3 or (b - a + 1 >= 2 and n <= 3):
            every = math.ceil((b - a + 1) / n)
            powers = [k for k in range(a, b + 1) if k % every == 0]
            if len(powers) < 2:
                powers = [a, b]
            decimal = all(-3 <= k <= 3 for k in powers)
            return [(10.0 ** k, _plain(10.0 ** k) if decimal else f"10^{{{k}}}") for k in powers]
        values = [mant * 10.0 ** k for k in range(a - 1, b + 1) for mant in (1, 2, 5)
                  if low * (1 - 1e-9) <= mant * 10.0 ** k <= high * (1 + 1e-9)]
        if len(values) >= 2:
            return [(float(_plain(v)), _plain(v)) for v in values]
        # within less than a factor of 5: a linear scale's ticks (placed on the log axis)
    step = _step(high - low, n)
    if math.floor(high / step + 1e-9) - math.ceil(low / step - 1e-9) < 2:
        step = _step(high - low, n, smaller=True)  # at least three ticks
    d = _decimals(step)
    big = max(abs(low), abs(high))
    sig = max(1, math.floor(math.log10(big)) - math.floor(math.log10(step) + 1e-9) + 1)
    out = []
    for k in range(math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9) + 1):
        if k == 0:
            out.append((0.0, "0"))
        elif d <= 4 and big < 1e7:
            label = f"{k * step:.{d}f}"
            label = label.rstrip("0").rstrip(".") if "." in label else label
            out.append((float(label), label))
        else:
            v = float(f"{k * step:.{sig - 1}e}")
            out.append((v, fmt(v, sig)))
    return out


def _step(span, n, smaller=False):
    """The 1, 2 or 5 step that cuts ``span`` into the number of parts nearest ``n`` (the
    larger step of two as near); with ``smaller``, the next step below it."""
    steps = [k * 10.0 ** e for e in range(math.floor(math.log10(span / n)) - 2, math.floor(math.log10(span)) + 2)
             for k in (1, 2, 5)]
    best = min(range(len(steps)), key=lambda i: (abs(span / steps[i] - n), -i))
    return steps[best - 1] if smaller else steps[best]


def _plain(v):
    """A power of ten times 1, 2 or 5 without noise: 0.001, 20, 5000."""
    return f"{v:.{_decimals(v)}f}" if v < 1 else f"{v:.0f}"


def nice_range(low, high, n=5, log=False):
    """(low, high) widened to the nearest ticks outside (powers of ten on a log axis);
    an empty range widened around its value first.

    >>> nice_range(0.013, 0.87), nice_range(3, 3), nice_range(0.002, 0.6, log=True)
    ((0.0, 1.0), (1.5, 4.5), (0.001, 1.0))
    """
    low, high = float(low), float(high)
    if log:
        if low <= 0 or high <= 0:
            raise ValueError("a logarithmic axis needs values above 0")
        a, b = math.floor(math.log10(low) + 1e-9), math.ceil(math.log10(high) - 1e-9)
        return 10.0 ** a, 10.0 ** max(b, a + 1)
    if high <= low:
        pad = abs(low) * 0.5 or 1.0
        low, high = low - pad, high + pad
    step = _step(high - low, max(2, n))
    d = _decimals(step) + 1
    return (round(math.floor(low / step + 1e-9) * step, d) + 0.0,
            round(math.ceil(high / step - 1e-9) * step, d) + 0.0)


def _clip(p, q, box):
    """The part of segment p-q inside box (l, b, r, t): (t0, t1) or None (Liang-Barsky)."""
    (x0, y0), (x1, y1), (l, b, r, t) = p, q, box
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for pk, qk in ((-dx, x0 - l), (dx, r - x0), (-dy, y0 - b), (dy, t - y0)):
        if pk == 0:
            if qk < 0:
                return None
        else:
            s = qk / pk
            if pk < 0:
                t0 = max(t0, s)
            else:
                t1 = min(t1, s)
    return (t0, t1) if t0 <= t1 else None


def clip_line(points, box):
    """A polyline (None for a break) cut to the rectangle ``box`` (l, b, r, t): its pieces
    inside, each a list of at least two points.

    >>> clip_line([(0, 0), (2, 2), None, (0.5, 0.5), (0.6, 0.5)], (0, 0, 1, 1))
    [[(0.0, 0.0), (1.0, 1.0)], [(0.5, 0.5), (0.6, 0.5)]]
    """
    pieces, cur = [], []
    for p, q in zip(points, points[1:]):
        if p is None or q is None:
            pieces.append(cur)
            cur = []
            continue
        c = _clip(p, q, box)
        if c is None:
            pieces.append(cur)
            cur = []
            continue
        t0, t1 = c
        a = (p[0] + t0 * (q[0] - p[0]), p[1] + t0 * (q[1] - p[1]))
        b = (p[0] + t1 * (q[0] - p[0]), p[1] + t1 * (q[1] - p[1]))
        if not (cur and t0 == 0):
            pieces.append(cur)
            cur = [(float(a[0]), float(a[1]))]
        cur.append((float(b[0]), float(b[1])))
        if t1 < 1:
            pieces.append(cur)
            cur = []
    pieces.append(cur)
    return [pc for pc in pieces if len(pc) >= 2]


def _label_width(label, char=0.125):
    """About how wide (cm) a tick label (TeX math) is set in 7 pt type."""
    base, _, sup = label.replace(r"\cdot", "*").replace(" ", "").partition("^")
    return char * (len(base) + 0.7 * len(sup.strip("{}")))


class Plot:
    """A :class:`Chart` laid out in cm, origin at its bottom left corner: what both
    writers draw (they only map cm to their units and choose the type).

    ``box`` (l, b, r, t) is the frame of the axes; ``x_ticks`` and ``y_ticks`` are
    [(position, label)] (positions along the axis, cm); ``minor`` y positions of a log
    axis' minor ticks; ``layers`` [(item, shapes)] in drawing order: a Line's pieces
    (lists of points), a Dots' [(x, y, class)], a Regions' [(class, l, b, r, t)];
    ``legend`` the labelled items; ``title``, ``x_label``, ``y_label`` where those go.
    """

    TICK_CHAR, TICK_HEIGHT, GAP = 0.125, 0.25, 0.1  # 7 pt digits
    DOT, HOLLOW = 0.065, 0.075  # the radius (cm) of a dot, of a hollow one
    LINE, DASH = 0.8, (2.4, 1.6)  # a Line's width, a dashed one's dashes and gaps (pt)
    LABEL = 0.4  # the room of an axis label's line (8 pt)
    TITLE = 0.5

    def __init__(self, chart):
        c = self.chart = chart
        (self.x0, self.x1), (self.y0, self.y1) = map(float, c.x_range), map(float, c.y_range)
        if not self.x0 < self.x1 or not self.y0 < self.y1:
            raise ValueError(f"a chart needs ranges from low to high, not {c.x_range} x {c.y_range}")
        if c.log_y and self.y0 <= 0:
            raise ValueError(f"a logarithmic axis from {self.y0}: it must start above 0")
        self.width, self.height = float(c.width), float(c.height)
        bottom = 0.08 + self.TICK_HEIGHT + self.GAP + (self.LABEL if c.x_label else 0)
        top = 0.15 + (self.TITLE if c.title else 0)
        box_h = self.height - bottom - top
        if box_h < 0.5 or self.width < 2.0:
            raise ValueError(f"a chart of {self.width} x {self.height} cm is too small to draw")
        # the y ticks first: the room of their labels sets the frame's left side
        n = max(3, min(7, round(box_h / 0.75)))
        self.y_values = ticks(self.y0, self.y1, n, c.log_y)
        left = (0.08 + (self.LABEL if c.y_label else 0) + self.GAP
                + max(_label_width(t, self.TICK_CHAR) for _, t in self.y_values))
        right = self.width - 0.15
        self.box = (left, bottom, right, self.height - top)
        for n in range(max(3, min(7, round((right - left) / 1.1))), 1, -1):
            xv = ticks(self.x0, self.x1, n)
            pos = [self.px(v) for v, _ in xv]
            widths = [_label_width(t, self.TICK_CHAR) for _, t in xv]
            if all(pos[i + 1] - pos[i] > (widths[i] + widths[i + 1]) / 2 + 0.2 for i in range(len(xv) - 1)):
                break
        # the last x label may stick out of the frame on the right
        over = pos[-1] + widths[-1] / 2 + 0.05 - self.width
        if over > 0:
            self.box = (left, bottom, right - over, self.height - top)
            xv = ticks(self.x0, self.x1, len(xv) - 1 if len(xv) > 2 else 2)
        l, b, r, t = self.box
        self.x_ticks = [(self.px(v), lab) for v, lab in xv]
        self.y_ticks = [(self.py(v), lab) for v, lab in self.y_values]
        self.minor = []
        if c.log_y and len(self.y_values) >= 2 and self.y_values[1][0] / self.y_values[0][0] > 9.99 \
                and self.y_values[1][0] / self.y_values[0][0] < 10.01:
            k0, k1 = math.floor(math.log10(self.y0)), math.ceil(math.log10(self.y1))
            self.minor = [self.py(m * 10.0 ** k) for k in range(k0, k1) for m in range(2, 10)
                          if self.y0 < m * 10.0 ** k < self.y1]
        self.title = ((l + r) / 2, self.height - 0.08) if c.title else None
        self.x_label = ((l + r) / 2, 0.06) if c.x_label else None
        self.y_label = (0.08 + self.LABEL / 2, (b + t) / 2) if c.y_label else None
        self.layers = [(i, self._shapes(i)) for i in c.items]
        self.legend = [i for i in c.items if getattr(i, "label", None)]

    def px(self, x):
        """The position (cm) of data value x along the x axis."""
        l, _, r, _ = self.box
        return l + (float(x) - self.x0) / (self.x1 - self.x0) * (r - l)

    def py(self, y):
        """The position (cm) of data value y along the y axis (logarithmic if log_y; a
        value at or below 0 far below the frame)."""
        _, b, _, t = self.box
        y = float(y)
        if self.chart.log_y:
            if y <= 0:
                return b - 1e3
            f = (math.log10(y) - math.log10(self.y0)) / (math.log10(self.y1) - math.log10(self.y0))
        else:
            f = (y - self.y0) / (self.y1 - self.y0)
        return b + f * (t - b) if math.isfinite(f) else (b + 1e3 if f > 0 else b - 1e3)

    def _shapes(self, item):
        l, b, r, t = self.box
        if isinstance(item, Line):
            xs, ys = item.thinned()
            pts = [None if math.isnan(y) or math.isnan(float(x)) else (self.px(x), self.py(y))
                   for x, y in zip(xs, ys)]
            return clip_line(pts, self.box)
        if isinstance(item, Dots):
            if not len(item.xs) == len(item.ys) == len(item.classes):
                raise ValueError("dots need as many classes as points")
            out = []
            for x, y, k in zip(item.xs, item.ys, item.classes):
                x, y = self.px(x), self.py(y)
                if l - 1e-9 <= x <= r + 1e-9 and b - 1e-9 <= y <= t + 1e-9:
                    out.append((x, y, int(k)))
            return out
        if isinstance(item, Regions):
            rows = len(item.cells)
            cols = max((len(row) for row in item.cells), default=0)
            if not rows or not cols:
                return []
            out = []
            for k, c0, r0, c1, r1 in item.rectangles():
                x0 = self.px(item.x0 + (item.x1 - item.x0) * c0 / cols)
                x1 = self.px(item.x0 + (item.x1 - item.x0) * c1 / cols)
                y0 = self.py(item.y0 + (item.y1 - item.y0) * r0 / rows)
                y1 = self.py(item.y0 + (item.y1 - item.y0) * r1 / rows)
                x0, x1, y0, y1 = max(x0, l), min(x1, r), max(y0, b), min(y1, t)
                if x0 < x1 and y0 < y1:
                    out.append((int(k), x0, y0, x1, y1))
            return out
        raise TypeError(f"not an item of a chart: {item!r}")


# ---------------------------------------------------------------------------------------


@dataclass
class Document:
    """A whole document: its blocks, in order. ``kind`` chooses the writer's page setup."""
    blocks: list = field(default_factory=list)
    kind: str = "solution"

    def add(self, *blocks):
        self.blocks.extend(blocks)
        return self


def walk(blocks):
    """Every block in ``blocks``, those nested in groups and columns included, in order."""
    for b in blocks:
        yield b
        if isinstance(b, (Group, Center, Keep)):
            yield from walk(b.blocks)
        elif isinstance(b, Columns):
            for _, bs in b.columns:
                yield from walk(bs)


def shown(n, limit):
    """The indices of n entries that a matrix shows (None marks the dots): all of them
    when n <= limit, else the first limit - 2 and the last.

    >>> shown(3, 8), shown(10, 5)
    ([0, 1, 2], [0, 1, 2, None, 9])
    """
    if n <= limit:
        return list(range(n))
    return list(range(limit - 2)) + [None, n - 1]
