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
    """Vertical space between blocks: "small", "medium"."""
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


@dataclass
class Node:
    """A unit of a drawing at (x, y) cm: ``label`` is mathematics, ``style`` one of the
    house styles (inp, hid, outp, loss, unit)."""
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
    ``pos`` of the way."""
    a: str
    b: str
    label: Math = None
    pos: float = 0.5
    style: str = "edge"


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
