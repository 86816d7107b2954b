"""The HTML writer: a :class:`~solver.document.model.Document` in, an HTML fragment out.

For Jupyter's rich display (``_repr_html_``) and any page that loads MathJax: one
``<div class="bp-solution">`` with its own small stylesheet (classes ``bp-...``),
mathematics as MathJax reads it (``\\( \\)`` inline, ``\\[ \\]`` displayed, aligned rows
in ``aligned``; the TeX itself comes from solver.document.latex), drawings as inline SVG
with plain-text labels, tables as ``<table>``. No script: everything but the formulas is
legible without JavaScript. The fragment is well-formed XML (XHTML).

Every piece of text is escaped (html.escape); a ``$`` or ``\\`` of plain text is set in a
``<span>`` of its own, so that MathJax never takes a problem file's words for mathematics.
"""

import html
import re
import unicodedata

from . import latex
from . import model as m

# ---------------------------------------------------------------------------------------
# text

_BASE = {"red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1), "black": (0, 0, 0), "white": (1, 1, 1),
         "gray": (.5, .5, .5), "orange": (1, .5, 0), "yellow": (1, 1, 0), "cyan": (0, 1, 1)}


def colour(name):
    """An xcolor expression ("green!45!black": 45% green, the rest black) as #rrggbb.

    >>> colour("green!45!black"), colour("blue!12"), colour("nonsense")
    ('#007300', '#e0e0ff', '#000000')
    """
    parts = name.split("!")
    c = _BASE.get(parts[0], (0, 0, 0))
    try:
        for i in range(1, len(parts), 2):
            p = float(parts[i]) / 100
            other = _BASE.get(parts[i + 1], (0, 0, 0)) if i + 1 < len(parts) else (1, 1, 1)
            c = tuple(p * a + (1 - p) * b for a, b in zip(c, other))
    except ValueError:
        c = (0, 0, 0)
    return "#" + "".join(f"{round(255 * v):02x}" for v in c)


def clean(s):
    """Plain text escaped for HTML and SVG, the characters XML forbids made spaces."""
    return html.escape("".join(" " if unicodedata.category(ch) in ("Cc", "Cs", "Cn") and ch not in "\n\t"
                               else ch for ch in str(s)))


def escape(s):
    r"""Plain text as HTML (:func:`clean`), each ``$`` and ``\\`` alone in a span: MathJax
    finds no delimiters across elements, so it never reads a problem's words as math.

    >>> escape("<b>$5 & \\(x\\)</b>")
    '&lt;b&gt;<span>$</span>5 &amp; <span>\\</span>(x<span>\\</span>)&lt;/b&gt;'
    """
    return re.sub(r"([$\\])", r"<span>\1</span>", clean(s))


def tex(x):
    """TeX math (a Math or a string) escaped for HTML; MathJax reads the text it shows."""
    return html.escape(latex.math(x), quote=False)


def text(content):
    """Text pieces as HTML (see solver.document.model)."""
    out = []
    for p in content:
        if isinstance(p, str):
            out.append(escape(p))
        elif isinstance(p, m.Math):
            out.append(r"\(" + tex(p) + r"\)")
        elif isinstance(p, m.Code):
            out.append('<code class="bp-code">' + escape(p.text) + "</code>")
        elif isinstance(p, m.Styled):
            inner = text(p.content)
            tags = {"bold": "strong", "italic": "em", "small": "small"}
            if p.style in tags:
                out.append(f"<{tags[p.style]}>{inner}</{tags[p.style]}>")
            elif p.style.startswith("colour:"):
                out.append(f'<span style="color:{colour(p.style[7:])}">{inner}</span>')
            else:
                raise ValueError(f"no text style {p.style!r}")
        else:
            raise TypeError(f"not a piece of text: {p!r}")
    return "".join(out)


# ---------------------------------------------------------------------------------------
# blocks


def _title(b):
    sub = f'<div class="bp-subtitle">{text(b.subtitle)}</div>\n' if b.subtitle else ""
    return f'<div class="bp-title">{text(b.title)}</div>\n{sub}'


def _heading(b):
    tag = "h2" if b.level == 1 else "h3"
    number = f"{escape(b.number)}. " if b.number else ""
    note = f' <small class="bp-note">{text(b.note)}</small>' if b.note else ""
    return f'<{tag} class="bp-h">{number}{text(b.title)}{note}</{tag}>\n'


def _para(b):
    return "<p>" + text(b.content) + "</p>\n"


def _break(b):
    return ""  # a paragraph ends at every block that is not a Para (see blocks_html)


def _skip(b):
    return f'<div class="bp-skip-{re.sub("[^a-z]", "", b.size)}"></div>\n'


def _math(body):
    return f'<div class="bp-math">\\[{body}\\]</div>\n'


def _display(b):
    return _math(tex(b.math))


def _align(b):
    sep = f" \\\\[{b.gap}]\n" if b.gap else " \\\\\n"
    return _math("\\begin{aligned}\n" + sep.join(tex(r.math) for r in b.rows) + "\n\\end{aligned}")


def _table(b):
    align = {"l": "left", "c": "center", "r": "right"}

    def row(cells, tag):
        return "<tr>" + "".join(f'<{tag} style="text-align:{align.get(a, "left")}">{text(c)}</{tag}>'
                                for c, a in zip(cells, b.align.ljust(len(cells), "l"))) + "</tr>\n"

    cls = "bp-t bp-table" + (" bp-rule" if b.rule else "")
    style = f' style="line-height:{1.5 * b.stretch:.2f}"' if b.stretch else ""
    return (f'<table class="{cls}"{style}><thead>{row(b.header, "th")}</thead>\n<tbody>\n'
            + "".join(row(r, "td") for r in b.rows) + "</tbody></table>\n")


def _tables(b):
    return '<div class="bp-tables">\n' + "".join(_table(t) for t in b.tables) + "</div>\n"


def _math_table(b):
    body = latex._math_table(b).strip()[2:-2]  # the array, without LaTeX's \[ \]
    return _math(html.escape(body, quote=False))


def _facts(b):
    return ('<table class="bp-t bp-facts"><tbody>\n'
            + "".join(f'<tr><td class="bp-key">{text(k)}</td><td>{text(v)}</td></tr>\n' for k, v in b.items)
            + "</tbody></table>\n")


def _columns(b):
    return ('<div class="bp-columns">\n'
            + "".join(f'<div style="width:{100 * float(w):.0f}%">\n{blocks_html(bs)}</div>\n' for w, bs in b.columns)
            + "</div>\n")


def _group(b):
    return f'<div class="bp-{re.sub("[^a-z]", "", b.style)}">\n{blocks_html(b.blocks)}</div>\n'


def _center(b):
    return f'<div class="bp-center">\n{blocks_html(b.blocks)}</div>\n'


def _keep(b):
    return f'<div class="bp-keep">\n{blocks_html(b.blocks)}</div>\n'


def _items(b):
    return "<ul>\n" + "".join(f"<li>{text(i)}</li>\n" for i in b.items) + "</ul>\n"


# drawings ----------------------------------------------------------------------------------

S = 50  # pixels per unit (a drawing's coordinates are cm)
PT = S * 2.54 / 72.27  # pixels per TeX point
R = m.UNIT_RADIUS * S  # the radius of a unit (TikZ: minimum size 8.5mm)
R_DOT = m.DOT_RADIUS * S  # the radius of a unit in style "dot" (a network drawn by its weights)
FILL = {"inp": "gray!10", "hid": "blue!6", "outp": "orange!12", "loss": "orange!12", "unit": "white"}
EDGE = colour("gray!70")

_GREEK = dict(zip("alpha beta gamma delta epsilon varepsilon zeta eta theta iota kappa lambda mu nu xi pi "
                  "rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma "
                  "Upsilon Phi Psi Omega".split(), "αβγδεεζηθικλμνξπρστυφφχψωΓΔΘΛΞΠΣΥΦΨΩ"))
_SYMBOLS = {**_GREEK, **{k: f" {v} " for k, v in dict(
    cdot="·", times="×", odot="⊙", circ="∘", leftarrow="←", to="→", rightarrow="→", geq="≥", ge="≥",
    leq="≤", le="≤", neq="≠", approx="≈", wedge="∧").items()},
            "partial": "∂", "nabla": "∇", "sum": "Σ", "infty": "∞", "dots": "…", "ldots": "…",
            "cdots": "⋯", "vdots": "⋮", "pm": "±", "top": "⊤", "lVert": "‖", "rVert": "‖", "ell": "ℓ",
            "quad": " ", "qquad": " ", ",": " ", ";": " ", ":": " ", " ": " ", "!": "", "\\": " "}
_DROP = {"left", "right", "big", "Big", "bigg", "bigl", "bigr", "Bigl", "Bigr", "displaystyle", "limits"}
_KEEP = {"mathit", "mathbf", "mathrm", "mathcal", "mathsf", "mathbb", "boldsymbol", "operatorname", "text"}
_ACCENTS = {"hat": "\u0302", "tilde": "\u0303", "bar": "\u0304"}
_TOKEN = re.compile(r"\\[A-Za-z]+ *|\\.|.", re.S)  # (TeX drops the spaces after a command)


def runs(tex_source):
    r"""TeX math as plain-text runs [shift, text] for an SVG label: shift 1 raised, -1
    lowered (scripts within scripts are flattened).

    >>> runs(r"z^{(1)}_{2}"), runs(r"\frac{\partial E}{\partial w} = -2.5 \cdot 10^{-7}")
    ([[0, 'z'], [1, '(1)'], [-1, '2']], [[0, '∂E/∂w = -2.5 · 10'], [1, '-7']])
    """
    out = []
    _parse(_TOKEN.findall(tex_source), 0, 0, out)
    for r in out:
        r[1] = re.sub(r"\s+", " ", r[1]).replace("( ", "(").replace(" )", ")")
    if out:
        out[0][1], out[-1][1] = out[0][1].lstrip(), out[-1][1].rstrip()
    return [r for r in out if r[1]]


def _add(out, shift, s):
    if out and out[-1][0] == shift:
        out[-1][1] += s
    elif s:
        out.append([shift, s])


def _arg(toks, i):
    while i < len(toks) and toks[i].isspace():
        i += 1
    sub = []
    if i < len(toks) and toks[i] == "{":
        i = _parse(toks, i + 1, 0, sub)
    elif i < len(toks):
        _parse(toks[i:i + 1], 0, 0, sub)
        i += 1
    return "".join(_flat(shift, s) for shift, s in sub).strip(), i


_SUP = str.maketrans("0123456789+-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ")
_SUB = str.maketrans("0123456789+-=()aeoxhklmnpstij", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼ")


def _flat(shift, s):
    """A script inside a script (or a fraction): Unicode sub- and superscripts."""
    if not shift:
        return s
    t = s.translate(_SUP if shift > 0 else _SUB)
    if not any(c.isascii() for c in t):
        return t
    return ("^" if shift > 0 else "_") + (s if len(s) == 1 else f"({s})")


def _parse(toks, i, shift, out):
    """Tokens from ``i`` to the closing brace into ``out``; returns the index after it."""
    while i < len(toks):
        t = toks[i]
        i += 1
        if t == "}":
            return i
        if t == "{":
            i = _parse(toks, i, shift, out)
        elif t in "^_":
            s, i = _arg(toks, i)
            _add(out, shift or (1 if t == "^" else -1), s)
        elif t.startswith("\\"):
            name = t[1:].rstrip()
            if name in ("frac", "tfrac", "dfrac"):
                (a, i), wrap = _arg(toks, i), lambda s: f"({s})" if re.search(r"[ +\-·]", s) else s
                b, i = _arg(toks, i)
                _add(out, shift, f"{wrap(a)}/{wrap(b)}")
            elif name in _ACCENTS:
                a, i = _arg(toks, i)
                _add(out, shift, a[:1] + _ACCENTS[name] + a[1:])
            elif name in _KEEP:
                a, i = _arg(toks, i)
                _add(out, shift, a)
            elif name not in _DROP:
                _add(out, shift, _SYMBOLS.get(name, name))
        elif t != "&":
            _add(out, shift, "\u00a0" if t == "~" else t)
    return i


def _runs_of(content):
    """Text pieces (or mathematics) as runs."""
    out = []
    for p in (content,) if isinstance(content, m.Math) else content:
        if isinstance(p, m.Math):
            for shift, s in runs(latex.math(p)):
                _add(out, shift, s)
        elif isinstance(p, m.Styled):
            for shift, s in _runs_of(p.content):
                _add(out, shift, s)
        else:
            _add(out, 0, p.text if isinstance(p, m.Code) else str(p))
    return out


def _width(rs, size):
    return sum(len(s) * (0.55 if shift == 0 else 0.42) * size for shift, s in rs)


class _Svg:
    """An SVG being drawn: its elements, their bounding box (px), deferred labels."""

    def __init__(self):
        self.parts, self.top, self.box = [], [], [1e9, 1e9, -1e9, -1e9]

    def extend(self, x0, y0, x1, y1):
        b = self.box
        self.box = [min(b[0], x0), min(b[1], y0), max(b[2], x1), max(b[3], y1)]

    def add(self, element, *box):
        self.parts.append(element)
        if box:
            self.extend(*box)

    def text(self, x, y, content, size, anchor="middle", extra="", top=False, halo=False):
        """A label at (x, y) px, vertically centred; ``anchor`` start, middle or end."""
        rs = _runs_of(content)
        w = _width(rs, size)
        x0 = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        offset, prev, spans = {1: -0.4 * size, 0: 0, -1: 0.25 * size}, 0, []
        for shift, s in rs:
            small = f' font-size="{0.75 * size:.1f}"' if shift else ""
            spans.append(f'<tspan dy="{offset[shift] - offset[prev]:.1f}"{small}>{clean(s)}</tspan>')
            prev = shift
        el = (f'<text x="{x:.1f}" y="{y + 0.35 * size:.1f}" font-size="{size}" text-anchor="{anchor}"'
              f'{extra}>{"".join(spans)}</text>')
        if halo:  # on a white box, as TikZ's edge labels
            el = (f'<rect x="{x0 - 1.5:.1f}" y="{y - 0.6 * size:.1f}" width="{w + 3:.1f}" height="{1.2 * size:.1f}" '
                  f'rx="1.5" fill="#fff"/>' + el)
        (self.top if top else self.parts).append(el)
        self.extend(x0, y - 0.7 * size, x0 + w, y + 0.7 * size)
        return w

    def line(self, a, b, width=1.0, colour="#000", arrow=False):
        (ax, ay), (bx, by) = a, b
        self.add(f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{bx:.1f}" y2="{by:.1f}" stroke="{colour}" '
                 f'stroke-width="{width}"/>', min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
        d = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
        if arrow and d > 0:
            ux, uy, k = (bx - ax) / d, (by - ay) / d, 2 + 1.5 * width
            pts = [(bx, by), (bx - 2 * k * ux - k * uy, by - 2 * k * uy + k * ux),
                   (bx - 2 * k * ux + k * uy, by - 2 * k * uy - k * ux)]
            self.add(f'<polygon points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}" fill="{colour}"/>')


def _p(x, y):
    return x * S, -y * S  # TikZ's y points up, SVG's down


def _border(c, size, towards):
    """Where the line from shape ``c`` towards a point leaves it (circle: size is its radius;
    rectangle: (half width, half height))."""
    (cx, cy), (tx, ty) = c, towards
    dx, dy = tx - cx, ty - cy
    d = (dx * dx + dy * dy) ** 0.5 or 1
    if isinstance(size, tuple):
        t = min(size[0] / abs(dx) if dx else 1e9, size[1] / abs(dy) if dy else 1e9)
        return cx + t * dx, cy + t * dy
    return cx + size * dx / d, cy + size * dy / d


def _weighted(svg, shapes, edges):
    """Edges drawn by weight, gathered by look (:func:`~solver.document.model.edge_groups`,
    as in the LaTeX document): a path of lines a look, its colour mixed with white."""
    for (style, width, tint), group in m.edge_groups(edges):
        d, xs, ys = [], [], []
        for e in group:
            (a, ra), (c, rc) = shapes[e.a], shapes[e.b]
            a, c = _border(a, ra, c), _border(c, rc, a)
            d.append(f"M{a[0]:.1f} {a[1]:.1f}L{c[0]:.1f} {c[1]:.1f}")
            xs += [a[0], c[0]]
            ys += [a[1], c[1]]
        svg.add(f'<path d="{"".join(d)}" fill="none" stroke="#{m.light(m.EDGE_COLOURS[style], tint)}" '
                f'stroke-width="{round(PT * (width or 0.6), 2)}"/>', min(xs), min(ys), max(xs), max(ys))


def _drawing(b):
    svg, shapes, run = _Svg(), {}, []
    for i in b.items:  # the shapes first: tags, edges and arrows refer to them
        if isinstance(i, m.Node):
            shapes[i.id] = (_p(i.x, i.y), R_DOT if i.style == "dot" else
                            max(R, _width(_runs_of(i.label), 12) / 2 + 4))
        elif isinstance(i, m.Box):
            w = max([2.3 * S] + [_width(_runs_of(t), 13) + 14 for t in i.lines])
            shapes[i.id] = (_p(i.x, i.y), (w / 2, i.height * S / 2))
    for i in b.items:
        if isinstance(i, m.Edge) and i.style in m.EDGE_COLOURS and i.label is None:
            run.append(i)  # by a weight: its sign's colour, no arrow head
            continue
        if run:
            _weighted(svg, shapes, run)
            run = []
        if isinstance(i, m.Node):
            (x, y), r = shapes[i.id]
            svg.add(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour(FILL.get(i.style, "white"))}" '
                    f'stroke="#000"/>', x - r, y - r, x + r, y + r)
            svg.text(x, y, i.label, 12)
        elif isinstance(i, m.Tag):
            (x, y), r = shapes[i.node]
            size, extra = (13, ' font-style="italic"') if i.style == "laycap" else (10, ' fill="#4d4d4d"')
            if i.side == "east":
                svg.text(x + r + 3, y, i.content, size, "start", extra)
            else:
                svg.text(x, y + (r + 0.7 * size) * (1 if i.side == "south" else -1), i.content, size, extra=extra)
        elif isinstance(i, m.Edge):
            (a, ra), (c, rc) = shapes[i.a], shapes[i.b]
            a, c = _border(a, ra, c), _border(c, rc, a)
            width, tint = i.look()  # lighter if thin, as in the LaTeX document
            if i.style in m.EDGE_COLOURS:  # by a weight: its sign's colour, no arrow head
                svg.line(a, c, round(PT * (width or 0.6), 2), "#" + m.light(m.EDGE_COLOURS[i.style], tint))
            else:
                svg.line(a, c, 1.0 if width is None else round(PT * width, 2),
                         EDGE if tint == 1 else colour(f"gray!{70 * tint:g}"), True)
            if i.label is not None:
                pos = (a[0] + i.pos * (c[0] - a[0]), a[1] + i.pos * (c[1] - a[1]))
                svg.text(*pos, i.label, 10, top=True, halo=True)
        elif isinstance(i, m.Caption):
            svg.text(*_p(i.x, i.y), i.content, 13, extra=' font-style="italic"')
        elif isinstance(i, m.Box):
            (x, y), (hw, hh) = shapes[i.id]
            svg.add(f'<rect x="{x - hw:.1f}" y="{y - hh:.1f}" width="{2 * hw:.1f}" height="{2 * hh:.1f}" rx="5" '
                    f'fill="{colour("blue!5")}" stroke="#000"/>', x - hw, y - hh, x + hw, y + hh)
            for k, t in enumerate(i.lines):
                svg.text(x, y + (k - (len(i.lines) - 1) / 2) * 17, t, 13)
        elif isinstance(i, m.Arrow):
            (a, sa), (c, sc) = shapes[i.a], shapes[i.b]
            a, c = _border(a, sa, c), _border(c, sc, a)
            svg.line(a, c, width=1.6, arrow=True)
            mid = ((a[0] + c[0]) / 2, (a[1] + c[1]) / 2)
            svg.text(mid[0], mid[1] - 11, i.above, 12)
            svg.text(mid[0], mid[1] + 11, i.below, 12)
        elif isinstance(i, m.Region):
            pts = [_p(x, y) for x, y in i.points]
            look = ('fill="none" stroke="#808080" stroke-dasharray="4 3"' if i.fill is None
                    else f'fill="{colour("blue!12" if i.fill == "pos" else "red!18")}"')
            svg.add(f'<polygon points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}" {look}/>',
                    min(x for x, _ in pts), min(y for _, y in pts), max(x for x, _ in pts), max(y for _, y in pts))
        elif isinstance(i, m.Segment):
            svg.line(_p(*i.a), _p(*i.b), width=2.4)
        elif isinstance(i, m.Axes):
            s, e = i.size, i.size + 0.3
            svg.line(_p(-s, 0), _p(e, 0), arrow=True)
            svg.line(_p(0, -s), _p(0, e), arrow=True)
            svg.text(e * S + 4, 0, i.x, 13, "start")
            svg.text(0, -e * S - 10, i.y, 13)
            for pos, t in i.ticks:
                svg.line(_p(pos, -0.06), _p(pos, 0.06))
                svg.line(_p(-0.06, pos), _p(0.06, pos))
                svg.text(pos * S, 13, (str(t),), 11)
                svg.text(-7, -pos * S, (str(t),), 11, "end")
        elif isinstance(i, m.Label):
            svg.text(*_p(i.x, i.y), i.content, 11, halo=True)
        else:
            raise TypeError(f"not an item of a drawing: {i!r}")
    if run:
        _weighted(svg, shapes, run)
    x0, y0, x1, y1 = svg.box if svg.parts else (0, 0, 1, 1)
    x0, y0, w, h = x0 - 6, y0 - 6, x1 - x0 + 12, y1 - y0 + 12
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="bp-drawing '
            f'tex2jax_ignore mathjax_ignore" width="{w * b.scale:.0f}" height="{h * b.scale:.0f}" '
            f'viewBox="{x0:.1f} {y0:.1f} {w:.1f} {h:.1f}" font-family="serif" role="img">\n'
            + "\n".join(svg.parts + svg.top) + "\n</svg>\n")


# charts ------------------------------------------------------------------------------------


def _points(points, h):
    return " ".join(f"{x * S:.1f},{(h - y) * S:.1f}" for x, y in points)


def _line_look(i):
    dash = ' stroke-dasharray="{:.1f} {:.1f}"'.format(*(PT * d for d in m.Plot.DASH)) if i.dashed else ""
    return (f'fill="none" stroke="#{m.series_colour(i.style)}" stroke-width="{PT * m.Plot.LINE:.2f}" '
            f'stroke-linejoin="round" stroke-linecap="round"{dash}')


def _dot(x, y, k, hollow):
    """A dot at (x, y) px: filled in its class' colour, or white inside a ring of it."""
    c = "#" + m.class_colour(k)
    if hollow:
        return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{m.Plot.HOLLOW * S:.2f}" fill="#fff" stroke="{c}" '
                f'stroke-width="{0.7 * PT:.2f}"/>')
    return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{m.Plot.DOT * S:.2f}" fill="{c}" stroke="#fff" '
            f'stroke-width="{0.25 * PT:.2f}"/>')


def _key(i):
    """The sample of an item in the legend (a small SVG): a short line, dots or a swatch."""
    if isinstance(i, m.Line):
        body, w = f'<polyline points="2,5 26,5" {_line_look(i)}/>', 28
    else:
        classes = sorted({int(k) for k in (i.classes if isinstance(i, m.Dots) else
                                           (c for row in i.cells for c in row if c is not None))})[:3] or [0]
        if isinstance(i, m.Dots):
            body = "".join(_dot(6 + 9 * j, 5, k, i.hollow) for j, k in enumerate(classes))
        else:
            body = "".join(f'<rect x="{1 + 11 * j}" y="0.5" width="9" height="9" fill="#{m.light(m.class_colour(k))}"/>'
                           for j, k in enumerate(classes))
        w = 3 + 11 * len(classes)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="10" viewBox="0 0 {w} 10" '
            f'class="bp-key-sample">{body}</svg>')


def _label(content):
    return content if isinstance(content, m.Math) else tuple(content)


def _chart(b):
    """A chart as inline SVG, laid out by :class:`~solver.document.model.Plot` as in the
    LaTeX document (cm into px); its legend under it as HTML, wrapped to its width."""
    p = m.Plot(b)
    svg, h = _Svg(), p.height
    l, bo, r, t = p.box

    def at(x, y):
        return x * S, (h - y) * S

    grid = [f"M{x * S:.1f} {(h - bo) * S:.1f}V{(h - t) * S:.1f}" for x, _ in p.x_ticks]
    grid += [f"M{l * S:.1f} {(h - y) * S:.1f}H{r * S:.1f}" for y, _ in p.y_ticks]
    svg.add(f'<path d="{"".join(grid)}" stroke="{colour("black!10")}" stroke-width="{0.3 * PT:.2f}" fill="none"/>')
    for item, shapes in p.layers:
        if isinstance(item, m.Line):
            for piece in shapes:
                svg.add(f'<polyline points="{_points(piece, h)}" {_line_look(item)}/>')
        elif isinstance(item, m.Dots):
            for x, y, k in shapes:
                if item.cross:
                    (x0, y0), (x1, y1) = at(x - 1.4 * m.Plot.HOLLOW, y - 1.4 * m.Plot.HOLLOW), \
                        at(x + 1.4 * m.Plot.HOLLOW, y + 1.4 * m.Plot.HOLLOW)
                    svg.add(f'<path d="M{x0:.1f} {y0:.1f}L{x1:.1f} {y1:.1f}M{x0:.1f} {y1:.1f}L{x1:.1f} {y0:.1f}" '
                            f'stroke="#000" stroke-width="{0.6 * PT:.2f}"/>')
                else:
                    svg.add(_dot(*at(x, y), k, item.hollow))
        elif isinstance(item, m.Regions):
            for k in sorted({s[0] for s in shapes}):  # one path a class: no seams between its cells
                d = "".join(f"M{x0 * S:.1f} {(h - y1) * S:.1f}H{x1 * S:.1f}V{(h - y0) * S:.1f}H{x0 * S:.1f}Z"
                            for c, x0, y0, x1, y1 in shapes if c == k)
                svg.add(f'<path d="{d}" fill="#{m.light(m.class_colour(k))}"/>')
    marks = [f"M{x * S:.1f} {(h - bo) * S:.1f}v{-0.08 * S:.1f}" for x, _ in p.x_ticks]
    marks += [f"M{l * S:.1f} {(h - y) * S:.1f}h{0.08 * S:.1f}" for y, _ in p.y_ticks]
    marks += [f"M{l * S:.1f} {(h - y) * S:.1f}h{0.045 * S:.1f}" for y in p.minor]
    svg.add(f'<rect x="{l * S:.1f}" y="{(h - t) * S:.1f}" width="{(r - l) * S:.1f}" height="{(t - bo) * S:.1f}" '
            f'fill="none" stroke="#000" stroke-width="{0.4 * PT:.2f}"/>')
    svg.add(f'<path d="{"".join(marks)}" stroke="#000" stroke-width="{0.4 * PT:.2f}" fill="none"/>')
    tick = 11  # px: 7 pt at S px a cm
    def number(label):  # a minus sign, not a hyphen
        return m.Math("\u2212" + label[1:] if label.startswith("-") else label)

    for x, lab in p.x_ticks:
        svg.text(x * S, (h - bo + m.Plot.GAP) * S + 0.6 * tick, number(lab), tick)
    for y, lab in p.y_ticks:
        svg.text((l - m.Plot.GAP) * S, (h - y) * S, number(lab), tick, "end")
    def fit(content, size, room):  # a label wider than its room squeezed into it
        width = _width(_runs_of(content), size)
        return f' textLength="{room * S:.0f}" lengthAdjust="spacingAndGlyphs"' if width > room * S else ""

    if p.x_label:
        x, y = at(*p.x_label)
        svg.text(x, y - 8, _label(b.x_label), 13, extra=fit(_label(b.x_label), 13, r - l))
    if p.y_label:
        x, y = at(*p.y_label)
        svg.text(x, y, _label(b.y_label), 13, extra=f' transform="rotate(-90 {x:.1f} {y:.1f})"'
                 + fit(_label(b.y_label), 13, t - bo + 0.2))
    if p.title:
        x, y = at(*p.title)
        svg.text(x, y + 9, _label(b.title), 14, extra=' font-weight="bold"' + fit(_label(b.title), 14, p.width))
    w = p.width * S
    out = (f'<div class="bp-chart" style="width:{w:.0f}px">\n'
           f'<svg xmlns="http://www.w3.org/2000/svg" class="bp-drawing tex2jax_ignore mathjax_ignore" '
           f'width="{w:.0f}" height="{h * S:.0f}" viewBox="0 0 {w:.1f} {h * S:.1f}" font-family="serif" role="img">\n'
           + "\n".join(svg.parts + svg.top) + "\n</svg>\n")
    if p.legend:
        out += ('<div class="bp-legend">' + " ".join(f'<span class="bp-legend-key">{_key(i)}&#160;{text(i.label)}</span>'
                                                   for i in p.legend) + "</div>\n")
    return out + "</div>\n"


def _chart_item(b):
    """A Line, Dots or Regions on its own: a chart over its data."""
    return _chart(m.Chart.of(b))


WRITERS = {
    m.Title: _title, m.Heading: _heading, m.Para: _para, m.Break: _break, m.Skip: _skip,
    m.Display: _display, m.Align: _align, m.Table: _table, m.Tables: _tables,
    m.MathTable: _math_table, m.Facts: _facts, m.Columns: _columns, m.Group: _group,
    m.Center: _center, m.Keep: _keep, m.Items: _items, m.Drawing: _drawing, m.Chart: _chart,
    m.Line: _chart_item, m.Dots: _chart_item, m.Regions: _chart_item,
}


def blocks_html(blocks):
    """Blocks as HTML; consecutive Para blocks are one paragraph (as in LaTeX)."""
    out, lines = [], ()
    for b in list(blocks) + [None]:
        if isinstance(b, m.Para):
            lines += ("\n",) * bool(lines) + b.content
            continue
        if lines:
            out.append(_para(m.Para(lines)))
            lines = ()
        if b is not None:
            out.append(WRITERS[type(b)](b))
    return "".join(out)


STYLE = """<style>
.bp-solution{line-height:1.5;max-width:62em}
.bp-solution .bp-title{font-size:1.6em;font-weight:bold;text-align:center;margin:.4em 0 .1em}
.bp-solution .bp-subtitle{font-size:.9em;text-align:center;margin-bottom:.8em}
.bp-solution h2.bp-h{font-size:1.3em;margin:1.1em 0 .4em}
.bp-solution h3.bp-h{font-size:1.1em;margin:.9em 0 .3em}
.bp-solution .bp-note{font-weight:normal;font-size:.8em;margin-left:.8em}
.bp-solution p{margin:.4em 0;text-align:left}
.bp-solution .bp-math{overflow-x:auto;overflow-y:hidden;margin:.3em 0}
.bp-solution .bp-small{font-size:.92em}
.bp-solution .bp-skip-small{height:.3em}
.bp-solution .bp-skip-medium{height:.6em}
.bp-solution .bp-skip-big{height:1.2em}
.bp-solution .bp-center{text-align:center}
.bp-solution .bp-center table.bp-t{margin-left:auto;margin-right:auto}
.bp-solution .bp-columns{display:flex;flex-wrap:wrap;gap:2%;align-items:flex-start}
.bp-solution .bp-tables{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}
.bp-solution table.bp-t{border-collapse:collapse;margin:.3em 0;font-size:inherit;table-layout:auto;border:none}
.bp-solution table.bp-t td,.bp-solution table.bp-t th{padding:.1em .6em;vertical-align:top;border:none;line-height:inherit}
.bp-solution table.bp-t tbody tr:nth-child(n),.bp-solution table.bp-t tbody tr:hover{background:transparent}
.bp-solution table.bp-rule{border-top:2px solid currentColor;border-bottom:2px solid currentColor}
.bp-solution table.bp-rule thead tr{border-bottom:1px solid currentColor}
.bp-solution table.bp-facts td.bp-key{padding-left:0;white-space:nowrap}
.bp-solution .bp-code{font-family:monospace}
.bp-solution svg.bp-drawing{max-width:100%;height:auto;background:#fff;color:#000}
.bp-solution .bp-chart{max-width:100%;display:inline-block;vertical-align:top}
.bp-solution .bp-chart svg.bp-drawing{display:block}
.bp-solution .bp-legend{font-size:.75em;line-height:1.4;text-align:center;margin:.1em 0 .4em}
.bp-solution .bp-legend-key{display:inline-block;max-width:100%;margin:0 .6em}
.bp-solution .bp-legend-key svg.bp-key-sample{vertical-align:middle;margin-right:.2em}
</style>
"""


def write(doc):
    """The worked solution as one HTML fragment: ``<div class="bp-solution">`` with its style."""
    return '<div class="bp-solution">\n' + STYLE + blocks_html(doc.blocks) + "</div>\n"
