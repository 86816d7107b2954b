"""The LaTeX writer: a :class:`~solver.document.model.Document` in, LaTeX source out.

One function per block (:data:`WRITERS`); the house style (page, fonts, TikZ styles of
the drawings) is ``templates/preamble.tex`` (installed as the package data
``backprop_solver/templates``), shared by every document. Every piece of text is escaped here
(:func:`escape`): nothing from a problem file is ever run as a LaTeX command.
"""

import re
import unicodedata
from functools import cache
from importlib.resources import files

from . import model as m
from .model import fmt


@cache
def preamble():
    """The static preamble of every document, ``templates/preamble.tex`` (``backprop
    solve`` starts pdflatex on it before the body is written; see solver.compile.start).
    It is package data: found in the wheel as in a clone."""
    package = __package__.rpartition(".")[0]  # backprop_solver
    return (files(package + ".templates") / "preamble.tex").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------
# text


_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\texttt{\char95}", "^": r"\texttt{\char94}", "~": r"\texttt{\char126}",
    "<": r"\ensuremath{<}", ">": r"\ensuremath{>}", "|": r"\ensuremath{|}",
    '"': r"\texttt{\char34}", "\n": " ", "\r": " ",
    "\t": " ", "-": "-{}",
    # the builders' own sentences: a no-break space, and a true hyphen (U+2010) where a
    # word is joined ("pre\u2010activations"); a user's "-" could start "--"
    "\u00a0": "~", "\u2010": "-",
}

#: Greek letters as mathematics (text Greek needs fonts TeX Live's base packages lack)
_GREEK = {
    "σ": r"\sigma", "φ": r"\varphi", "ϕ": r"\phi", "ε": r"\varepsilon", "ϵ": r"\epsilon", "ς": r"\varsigma",
    "ϑ": r"\vartheta", "ϖ": r"\varpi", "ϱ": r"\varrho", "ο": "o",
    **{g: "\\" + name for g, name in zip(
        "αβγδζηθικλμνξπρτυχψωΓΔΘΛΞΠΣΥΦΨΩ",
        "alpha beta gamma delta zeta eta theta iota kappa lambda mu nu xi pi rho tau upsilon chi psi omega "
        "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split())},
    **{g: rf"\mathrm{{{latin}}}" for g, latin in zip("ΑΒΕΖΗΙΚΜΝΟΡΤΧ", "ABEZHIKMNOPTX")},
}
for _c in range(0x370, 0x400):  # a letter with tonos or dialytika: the accent over the letter
    _base, *_marks = unicodedata.normalize("NFD", chr(_c))
    if _base in _GREEK and _marks and all(m in ("\u0301", "\u0308") for m in _marks):
        _GREEK[chr(_c)] = _GREEK[_base]
        for _m in _marks:
            _GREEK[chr(_c)] = (r"\acute{" if _m == "\u0301" else r"\ddot{") + _GREEK[chr(_c)] + "}"

#: characters outside ASCII written with LaTeX commands: Greek letters and mathematical
#: signs as mathematics
_UNICODE = {
    **{g: rf"\ensuremath{{{tex}}}" for g, tex in _GREEK.items()},
    "∂": r"\ensuremath{\partial}", "∇": r"\ensuremath{\nabla}", "×": r"\ensuremath{\times}",
    "·": r"\ensuremath{\cdot}", "−": r"\ensuremath{-}", "–": "--", "—": "---", "→": r"\ensuremath{\to}",
    "←": r"\ensuremath{\leftarrow}", "≤": r"\ensuremath{\le}", "≥": r"\ensuremath{\ge}",
    "≈": r"\ensuremath{\approx}", "≠": r"\ensuremath{\neq}", "∞": r"\ensuremath{\infty}",
    "∘": r"\ensuremath{\circ}", "⊙": r"\ensuremath{\odot}", "⊤": r"\ensuremath{\top}",
    "ℓ": r"\ensuremath{\ell}", "∑": r"\ensuremath{\sum}", "√": r"\ensuremath{\surd}",
    "±": r"\ensuremath{\pm}", "…": r"\dots{}", "‘": "`", "’": "'", "“": "``", "”": "''",
    "°": r"\ensuremath{^\circ}", "ŷ": r"\ensuremath{\hat{y}}", "²": r"\ensuremath{^2}",
    "³": r"\ensuremath{^3}", "\u00ad": r"\-", "\u200b": r"\allowbreak{}", "\ufeff": "",
}

#: characters outside ASCII that pdflatex prints as they are with the house preamble
#: (OT1 text fonts, utf8 input, textcomp): accented Latin letters, ß, ø, æ, ł, €, ...
#: (found by typesetting every character of these blocks; T1-only ones such as ð, þ or
#: ą are not among them). Any other character cannot be printed: see :func:`unprintable`.
_NATIVE = frozenset(
    '¡¢£¤¥¦§¨©ª¬®¯°±²³´µ¶·¸¹º¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖ×ØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõö÷øùúûüýÿĀāĂăĆćĈĉĊċČčĎďĒēĔĕĖėĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭİıĲĳĴĵĶķĹĺĻļĽľŁłŃńŅņŇňŌōŎŏŐőŒœŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŴŵŶŷŸŹźŻżŽžƒǄǅǆǇǈǉǊǋǌǍǎǏǐǑǒǓǔǢǣǦǧǨǩǰǴǵȘșȚțȲȳȷ‐‑‒–—―‖‘’“”†‡•…‰‱※‽⁄⁎⁒℃№℗℞℠™Ω℧℮←↑→↓€ẞ')

#: a word longer than this may break after any character (a 3,000-character word)
LONG_WORD = 20


def unprintable(s):
    """The first character of ``s`` that a document cannot print (None if there is none):
    problem files are checked with it (solver.spec), so that text is never printed with a
    substitute.

    >>> unprintable("Straße, Ørsted, Ω = 3 µs"), unprintable("中文")
    (None, '中')
    """
    return next((ch for ch in unicodedata.normalize("NFC", str(s))
                 if not (ord(ch) < 128 or ch in _ESCAPES or ch in _UNICODE or ch in _NATIVE)), None)


def escape(s):
    r"""Plain text made safe for LaTeX: every special character is printed literally,
    nothing in it is ever run as a command; a word longer than LONG_WORD characters may
    break after any of them. A character no document can print is an error (ValueError).

    >>> escape(r"\input{/etc/passwd} costs $5 & 10%")
    '\\textbackslash{}input\\{/etc/passwd\\} costs \\$5 \\& 10\\%'
    """
    out = []
    for word in re.split(r"(\s+)", unicodedata.normalize("NFC", str(s))):
        chars = []
        for ch in word:
            if ch in _ESCAPES:
                chars.append(_ESCAPES[ch])
            elif ord(ch) < 128:
                chars.append(ch if ch.isprintable() else " ")
            elif ch in _UNICODE:
                chars.append(_UNICODE[ch])
            elif ch in _NATIVE:
                chars.append(ch)  # utf8 input handles it
            else:
                raise ValueError(f"cannot print the character {ch!r} (U+{ord(ch):04X}) in LaTeX")
        # a long word: a break (and a little stretch, to fill its lines) after every character
        out.append(("\\hspace{0pt plus 0.5pt}" if len(word) > LONG_WORD else "").join(chars))
    return "".join(out)


def text(content):
    """Text pieces as LaTeX (see solver.document.model)."""
    out = []
    for p in content:
        if isinstance(p, str):
            out.append(escape(p))
        elif isinstance(p, m.Math):
            out.append("$" + math(p) + "$")
        elif isinstance(p, m.Code):
            out.append(r"\texttt{" + escape(p.text).replace(r"\texttt{\char95}", r"\_") + "}")
        elif isinstance(p, m.Styled):
            inner = text(p.content)
            if p.style == "bold":
                out.append(r"\textbf{" + inner + "}")
            elif p.style == "italic":
                out.append(r"\textit{" + inner + "}")
            elif p.style == "small":
                out.append(r"{\small " + inner + "}")
            elif p.style.startswith("colour:"):
                out.append(r"\textcolor{" + p.style[7:] + "}{" + inner + "}")
            else:
                raise ValueError(f"no text style {p.style!r}")
        else:
            raise TypeError(f"not a piece of text: {p!r}")
    return "".join(out)


# ---------------------------------------------------------------------------------------
# mathematics


def matrix(a):
    r"""A :class:`~solver.document.model.Matrix` as a bmatrix, elided with dots when large.

    >>> matrix(m.Matrix([0.5, 1.0]))
    '\\begin{bmatrix} 0.5 \\\\ 1 \\end{bmatrix}'
    """
    v = a.values
    rows, cols = m.shown(v.shape[0], a.max_rows), m.shown(v.shape[1], a.max_cols)
    lines = []
    for i in rows:
        cells = []
        for j in cols:
            if i is None and j is None:
                cells.append(r"\ddots")
            elif i is None:
                cells.append(r"\vdots")
            elif j is None:
                cells.append(r"\cdots")
            else:
                cells.append(fmt(v[i, j], a.digits))
        lines.append(" & ".join(cells))
    return r"\begin{bmatrix} " + r" \\ ".join(lines) + r" \end{bmatrix}"


def math(x):
    """Mathematics (a Math, or a plain string of TeX math) as LaTeX math source."""
    if isinstance(x, str):
        return x
    return "".join(matrix(p) if isinstance(p, m.Matrix) else p for p in x)


# ---------------------------------------------------------------------------------------
# blocks


def _title(b):
    return ("\\begin{center}\n{\\Large\\bfseries " + text(b.title) + "}\\par\\medskip\n"
            + ("{\\small " + text(b.subtitle) + "}\n" if b.subtitle else "") + "\\end{center}\n")


def _heading(b):
    cmd = "section" if b.level == 1 else "subsection"
    number = f"{b.number}.\\quad " if b.number else ""
    note = " \\quad {\\normalfont\\small " + text(b.note) + "}" if b.note else ""
    return f"\\{cmd}*{{{number}{text(b.title)}{note}}}\n"


def _para(b):
    return text(b.content) + "\n"


def _break(b):
    return "\n"


def _skip(b):
    return {"small": "\\smallskip\n", "medium": "\\medskip\n", "big": "\\bigskip\n", "page": "\\clearpage\n"}[b.size]


def _display(b):
    return "\\[\n" + math(b.math) + "\n\\]\n"


#: a line break followed by a line that starts at the alignment point ("& = ...")
_CONTINUED = re.compile(r"\\\\(?![*])(\[[^\]]*\])?(?=\s*&)")


def _align(b):
    r"""Aligned rows. A line that starts with ``&`` continues the equation above it, so
    no page break comes before it (``\\*``); pages break between equations only.

    >>> _align(m.Align([m.Row(m.Math("z &= a \\\\ &= b")), m.Row(m.Math("&= c")), m.Row(m.Math("y &= d"))]))
    '\\begin{align*}\nz &= a \\\\* &= b \\\\*[3pt]\n&= c \\\\[3pt]\ny &= d\n\\end{align*}\n'
    """
    gap = f"[{b.gap}]" if b.gap else ""
    rows = [_CONTINUED.sub(lambda x: "\\\\*" + (x.group(1) or ""), math(r.math)) for r in b.rows]
    out = rows[0]
    for row in rows[1:]:
        out += (" \\\\*" if row.lstrip().startswith("&") else " \\\\") + gap + "\n" + row
    return "\\begin{align*}\n" + out + "\n\\end{align*}\n"


def _table(b):
    out = [f"\\begin{{tabular}}{'[t]' if b.top else ''}{{@{{}}{b.align}@{{}}}}\n"]
    if b.stretch:
        out.insert(0, f"\\renewcommand{{\\arraystretch}}{{{b.stretch}}}\n")
    if b.rule:
        out.append("\\toprule\n")
    out.append(" & ".join(text(c) for c in b.header) + "\\\\\n")
    if b.rule:
        out.append("\\midrule\n")
    for r in b.rows:
        out.append(" & ".join(text(c) for c in r) + "\\\\\n")
    if b.rule:
        out.append("\\bottomrule\n")
    out.append("\\end{tabular}")
    return "".join(out) + "\n"


def _tables(b):
    # ragged right: a line holds as many tables as fit, the rest go on the next
    return ("{\\raggedright\n" + "".join(_table(t)[:-1] + "\\hspace{1.5em}\n" for t in b.tables)
            + "\\par}\n")


def _math_table(b):
    cols = len(b.header)
    out = ["\\[\n\\begin{array}{" + "|".join("c" * cols) + "}\n",
           " & ".join(math(h) for h in b.header) + "\\\\ \\hline\n"]
    for r in b.rows:
        cells = [r"\vdots"] * cols if r is None else [math(c) for c in r]
        out.append(" & ".join(cells) + "\\\\\n")
    return "".join(out) + "\\end{array}\n\\]\n"


def _facts(b):
    return ("\\begin{tabular}{@{}lp{0.74\\linewidth}@{}}\n"
            + "".join(text(k) + " & " + text(v) + "\\\\\n" for k, v in b.items)
            + "\\end{tabular}\n")


def _columns(b):
    out = []
    for i, (w, blocks) in enumerate(b.columns):
        out.append(f"\\begin{{minipage}}[t]{{{w}\\textwidth}}\n\\vspace{{0pt}}\n" + blocks_tex(blocks)
                   + "\\end{minipage}" + ("\\hfill\n" if i < len(b.columns) - 1 else "\n"))
    return "".join(out)


def _group(b):
    return "{\\" + b.style + "\n" + blocks_tex(b.blocks) + "}\n"


def _center(b):
    return "\\begin{center}\n" + blocks_tex(b.blocks) + "\\end{center}\n"


def _keep(b):
    return "\\par\\noindent\\begin{minipage}{\\linewidth}\n" + blocks_tex(b.blocks) + "\\end{minipage}\\par\n"


def _items(b):
    return ("\\begin{itemize}\n" + "".join("\\item " + text(i) + "\n" for i in b.items)
            + "\\end{itemize}\n")


# drawings ----------------------------------------------------------------------------------


def _xy(x, y, digits=2):
    return f"({x:.{digits}f},{y:.{digits}f})"


def _drawing_item(i):
    if isinstance(i, m.Node):
        return f"\\node[{i.style}] ({i.id}) at {_xy(i.x, i.y)} {{${math(i.label)}$}};"
    if isinstance(i, m.Tag):
        anchor = {"north": "south", "south": "north", "east": "west"}[i.side]
        return f"\\node[{i.style}, anchor={anchor}, inner sep=1pt] at ({i.node}.{i.side}) {{{text(i.content)}}};"
    if isinstance(i, m.Edge):
        label = "" if i.label is None else f" node[wt, pos={i.pos:.2f}] {{${math(i.label)}$}}"
        style, (width, tint) = i.style, i.look()  # as the edges drawn in PGF's basic layer
        if i.style in m.EDGE_COLOURS:  # by a weight: its sign's colour, no arrow head
            style = f"draw={_edge_colour(i.style, tint)}, shorten >=1pt, line width={width or 0.6:.2f}pt"
        else:
            style += f", line width={width:.2f}pt" if width is not None else ""
            style += f", draw={_edge_colour(i.style, tint)}" if tint < 1 else ""
        return f"\\draw[{style}] ({i.a}) --{label} ({i.b});"
    if isinstance(i, m.Caption):
        return f"\\node[laycap] at {_xy(i.x, i.y)} {{{text(i.content)}}};"
    if isinstance(i, m.Box):
        lines = "\\\\".join(text(t) for t in i.lines)
        return (f"\\node[block, minimum height={i.height:.2f}cm] ({i.id}) at ({i.x:.2f},{i.y:g}) "
                f"{{\\begin{{tabular}}{{c}}{lines}\\end{{tabular}}}};")
    if isinstance(i, m.Arrow):
        return (f"\\draw[->, thick] ({i.a}) -- node[above, font=\\scriptsize] {{${math(i.above)}$}} "
                f"node[below, font=\\scriptsize] {{${math(i.below)}$}} ({i.b});")
    if isinstance(i, m.Region):
        path = " -- ".join(_xy(x, y, 3) for x, y in i.points) + " -- cycle"
        if i.fill is None:
            return f"\\draw[gray, dashed] {path};"
        return f"\\fill[{'blue!12' if i.fill == 'pos' else 'red!18'}] {path};"
    if isinstance(i, m.Segment):
        return f"\\draw[very thick] {_xy(*i.a, 3)} -- {_xy(*i.b, 3)};"
    if isinstance(i, m.Axes):
        s = f"{i.size:.2f}"
        out = [f"\\draw[->] (-{s}, 0) -- ({s} + 0.3, 0) node[right] {{${math(i.x)}$}};",
               f"\\draw[->] (0, -{s}) -- (0, {s} + 0.3) node[above] {{${math(i.y)}$}};"]
        for pos, t in i.ticks:
            out.append(f"\\draw ({pos:.3f}, -0.06) -- ({pos:.3f}, 0.06) node[below=3pt, font=\\scriptsize] {{${t}$}};")
            out.append(f"\\draw (-0.06, {pos:.3f}) -- (0.06, {pos:.3f}) node[left=3pt, font=\\scriptsize] {{${t}$}};")
        return "\n".join(out)
    if isinstance(i, m.Label):
        return (f"\\node[font=\\scriptsize, fill=white, inner sep=1pt, rounded corners=1pt] "
                f"at {_xy(i.x, i.y, 3)} {{{text(i.content)}}};")
    raise TypeError(f"not an item of a drawing: {i!r}")


def _colour(name, hex_colour):
    return f"\\definecolor{{{name}}}{{HTML}}{{{hex_colour}}}"


#: the node styles of the house preamble that are circles (an edge ends on their border)
_CIRCLES = {"unit", "inp", "hid", "outp", "dot"}
#: TikZ's outer sep of a node: half the line width (0.4pt), outside its circle
_OUTER = 0.2
#: the house style "edge" (gray!70, shorten >=1pt): its end's shortening (pt)
_SHORTEN = 1.0


def _edge_colour(style, tint):
    """The colour of an edge: a weighted one's sign's, an "edge" the house gray; ``tint``
    of it, mixed with white (:meth:`~solver.document.model.Edge.look`)."""
    if style in m.EDGE_COLOURS:
        return f"bpw{style}" + (f"!{round(100 * tint)}!white" if tint < 1 else "")
    return f"gray!{round(70 * tint)}"

#: the commands of a drawing's edges and dots in PGF's basic layer (defined in its group):
#: 384 edges drawn with \draw between nodes took 0.6 s (0.9 s with arrow heads), these
#: take 0.05 s (0.08 s).
#: \bpn{id}{x}{y}{r} notes a node at (x, y) cm whose border lies r from its centre (an edge
#: starts there); \bpN{id} notes a TikZ node, measured; \bpd{id} adds the circle of a dot
#: to the path; \bpe{a}{b}{ux}{uy} the line from a's border to b's, less \bpback, along
#: the unit vector u (in ten-thousandths); \bpt{a}{b}{ux}{uy} the arrow head there
#: (\bptip, of points \bpq{s}{t}: s pt along u and t across it)
_EDGES = (r"\def\bpn#1#2#3#4{\expandafter\def\csname bpx@#1\endcsname{#2cm}"
          r"\expandafter\def\csname bpy@#1\endcsname{#3cm}\expandafter\def\csname bpr@#1\endcsname{#4}}"
          "%\n"
          r"\def\bpN#1{\pgfpointanchor{#1}{center}\expandafter\edef\csname bpx@#1\endcsname{\the\csname pgf@x\endcsname}"
          r"\expandafter\edef\csname bpy@#1\endcsname{\the\csname pgf@y\endcsname}\pgfpointanchor{#1}{east}"
          r"\expandafter\edef\csname bpr@#1\endcsname{\the\dimexpr\csname pgf@x\endcsname-\csname bpx@#1\endcsname\relax}}"
          "%\n"
          r"\def\bpd#1{\pgfpathellipse{\pgfqpoint{\csname bpx@#1\endcsname}{\csname bpy@#1\endcsname}}"
          r"{\pgfqpoint{\bpdot}{0pt}}{\pgfqpoint{0pt}{\bpdot}}}"
          "%\n"
          r"\def\bpe#1#2#3#4{\pgfpathmoveto{\pgfqpoint{\dimexpr\csname bpx@#1\endcsname+(\csname bpr@#1\endcsname)*#3/10000\relax}"
          r"{\dimexpr\csname bpy@#1\endcsname+(\csname bpr@#1\endcsname)*#4/10000\relax}}"
          r"\pgfpathlineto{\pgfqpoint{\dimexpr\csname bpx@#2\endcsname-(\csname bpr@#2\endcsname+\bpback)*#3/10000\relax}"
          r"{\dimexpr\csname bpy@#2\endcsname-(\csname bpr@#2\endcsname+\bpback)*#4/10000\relax}}}"
          "%\n"
          r"\def\bpt#1#2#3#4{\edef\bpLx{\the\dimexpr\csname bpx@#2\endcsname-(\csname bpr@#2\endcsname+\bpback)*#3/10000\relax}"
          r"\edef\bpLy{\the\dimexpr\csname bpy@#2\endcsname-(\csname bpr@#2\endcsname+\bpback)*#4/10000\relax}"
          r"\def\bpu{#3}\def\bpv{#4}\bptip}"
          "%\n"
          r"\def\bpq#1#2{\pgfqpoint{\dimexpr\bpLx+(#1pt)*\bpu/10000-(#2pt)*\bpv/10000\relax}"
          r"{\dimexpr\bpLy+(#1pt)*\bpv/10000+(#2pt)*\bpu/10000\relax}}")


def _tip(width):
    r"""The arrow head of the house style "edge" (TikZ's ``to``, as PGF draws it for a line
    ``width`` pt wide): how far back from the shortened end the line stops (pt), the
    head's line width and its path (\bptip) in \bpq points."""
    t = 0.28 + 0.3 * width
    q = [(-3, 4), (-2.75, 2.5), (0, 0.25), (0.75, 0), (0, -0.25), (-2.75, -2.5), (-3, -4)]
    p = ["\\bpq{%s}{%s}" % (_n(a * t), _n(b * t)) for a, b in q]
    path = (f"\\pgfpathmoveto{{{p[0]}}}\\pgfpathcurveto{{{p[1]}}}{{{p[2]}}}{{{p[3]}}}"
            f"\\pgfpathcurveto{{{p[4]}}}{{{p[5]}}}{{{p[6]}}}")
    return 0.21 + 0.625 * width, 0.8 * width, path


def _direction(a, b):
    """The unit vector from node a to node b as placed (to 0.01 cm), in ten-thousandths, or
    None where they meet."""
    ax, ay, bx, by = (float(f"{v:.2f}") for v in (a.x, a.y, b.x, b.y))
    d = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
    return None if d < 1e-6 else (round(10000 * (bx - ax) / d), round(10000 * (by - ay) / d))


def _edge_group(key, edges, nodes):
    """The edges of one look (:func:`~solver.document.model.edge_groups`) as one path
    (and an edge's arrow heads as another)."""
    style, width, tint = key
    colour = _edge_colour(style, tint)
    if style in m.EDGE_COLOURS:  # by a weight: its sign's colour, no arrow head
        width, head = width or 0.6, None
    else:
        width = 0.4 if width is None else width
        head = _tip(width)
    back = _SHORTEN + (head[0] if head else 0)
    calls = [f"\\bpe{{{e.a}}}{{{e.b}}}{{{u[0]}}}{{{u[1]}}}"
             for e in edges for u in [_direction(nodes[e.a], nodes[e.b])]]
    lines = "\n".join("".join(calls[k:k + 6]) for k in range(0, len(calls), 6))
    out = (f"\\begin{{pgfscope}}\\pgfsetlinewidth{{{_n(width)}pt}}\\pgfsetstrokecolor{{{colour}}}"
           f"\\def\\bpback{{{_n(back)}pt}}")
    if head is None:
        return out + f"\n{lines}\\pgfusepath{{stroke}}\\end{{pgfscope}}"
    return (out + f"\\def\\bpedges{{%\n{lines}}}\\bpedges\\pgfusepath{{stroke}}%\n"
            f"\\pgfsetlinewidth{{{_n(head[1])}pt}}\\pgfsetroundcap\\pgfsetroundjoin\\def\\bptip{{{head[2]}}}"
            f"\\let\\bpe\\bpt\\bpedges\\pgfusepath{{stroke}}\\end{{pgfscope}}")


def _drawing(b):
    """A TikZ picture, scaled by ``b.scale`` and then, if still wider than the line, to its width.

    Its edges without a label between circles are drawn in PGF's basic layer, gathered by
    look (:func:`~solver.document.model.edge_groups`): from border to border along the
    line between the centres, the end shortened and the arrow head drawn as TikZ would;
    a node's border is measured by TeX (a label may widen a circle) unless it is a
    "dot", a plain circle drawn in the basic layer too."""
    nodes = {i.id: i for i in b.items if isinstance(i, m.Node)}

    def fast(i):  # an edge drawn in the basic layer
        return (isinstance(i, m.Edge) and i.label is None and i.a in nodes and i.b in nodes
                and nodes[i.a].style in _CIRCLES and nodes[i.b].style in _CIRCLES
                and _direction(nodes[i.a], nodes[i.b]) is not None)

    named = {n for i in b.items if isinstance(i, (m.Edge, m.Arrow)) and not fast(i) for n in (i.a, i.b)}
    named |= {i.node for i in b.items if isinstance(i, m.Tag)}
    dots = {i.id for i in nodes.values() if i.style == "dot" and not math(i.label).strip() and i.id not in named}
    ends = {n for i in b.items if fast(i) for n in (i.a, i.b)}
    out, run = [], []

    def flush():  # a run of dots or edges, drawn in the basic layer
        if run and isinstance(run[0], m.Node):
            r = f"{_n(m.DOT_RADIUS)}cm+{_n(_OUTER)}pt"
            out.extend(f"\\bpn{{{i.id}}}{{{i.x:.2f}}}{{{i.y:.2f}}}{{{r}}}" for i in run)
            out.append("\\begin{pgfscope}\\pgfsetfillcolor{white}\n"
                       + "".join(f"\\bpd{{{i.id}}}" for i in run) + "\\pgfusepath{fill,stroke}\\end{pgfscope}")
        elif run:
            out.extend(_edge_group(key, edges, nodes) for key, edges in m.edge_groups(run))
        run.clear()

    for i in b.items:
        kind = "dot" if isinstance(i, m.Node) and i.id in dots else "edge" if fast(i) else None
        if run and (kind is None or kind != ("dot" if isinstance(run[0], m.Node) else "edge")):
            flush()
        if kind:
            run.append(i)
            continue
        out.append(_drawing_item(i))
        if isinstance(i, m.Node) and i.id in ends:
            out.append(f"\\bpN{{{i.id}}}")
    flush()
    colours = "".join(_colour("bpw" + s, c) + "\n" for s, c in m.EDGE_COLOURS.items()
                      if any(isinstance(i, m.Edge) and i.style == s for i in b.items))
    macros = (_EDGES + f"\\def\\bpdot{{{_n(m.DOT_RADIUS)}cm}}%\n") if ends or dots else ""
    body = (macros + "\\begin{tikzpicture}\n" + colours + "\n".join(out) + "\n\\end{tikzpicture}")
    if b.scale < 1:
        body = f"\\scalebox{{{b.scale:.3f}}}{{%\n{body}}}"
    return f"\\resizebox{{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}}{{!}}{{%\n{body}}}\n"


# charts ------------------------------------------------------------------------------------


def _n(v):
    """A coordinate (cm) to 0.01: few digits, so that a long curve stays a small file."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _pt(x, y):
    return f"({_n(x)},{_n(y)})"


def _label(content, room):
    """An axis label or title (mathematics, or text pieces), shrunk to ``room`` cm if wider."""
    inner = "$" + math(content) + "$" if isinstance(content, m.Math) else text(content)
    return f"\\resizebox{{\\ifdim\\width>{_n(room)}cm {_n(room)}cm\\else\\width\\fi}}{{!}}{{{inner}}}"


def _line_look(i):
    return (f"bps{i.style % len(m.SERIES_COLOURS)}, line width={m.Plot.LINE}pt"
            + (", dash pattern=on {}pt off {}pt".format(*m.Plot.DASH) if i.dashed else ""))


def _radius(dots):
    return m.Plot.HOLLOW if dots.hollow else m.Plot.DOT


def _dot_look(k, hollow):
    k %= len(m.CLASS_COLOURS)
    if hollow:
        return f"draw=bpk{k}, fill=white, line width=0.7pt"
    return f"fill=bpk{k}, draw=white, line width=0.25pt"


def _classes(i):
    """The classes (at most three) a legend shows the sample of Dots or Regions in."""
    cells = i.classes if isinstance(i, m.Dots) else (c for row in i.cells for c in row if c is not None)
    return sorted({int(k) for k in cells})[:3] or [0]


def _key(i):
    """The sample of an item in the legend: a short line, dots or a swatch."""
    if isinstance(i, m.Line):
        return f"\\tikz[baseline=-0.6ex]\\draw[{_line_look(i)}] (0,0) -- (0.55,0);"
    if isinstance(i, m.Dots):
        marks = " ".join(f"\\path[{_dot_look(k, i.hollow)}] ({0.17 * j:.2f},0) circle ({_radius(i):.3f});"
                         for j, k in enumerate(_classes(i)))
    else:
        marks = " ".join(f"\\fill[bpr{k % len(m.CLASS_COLOURS)}] ({0.22 * j:.2f},-0.09) rectangle +(0.18,0.18);"
                         for j, k in enumerate(_classes(i)))
    return f"\\tikz[baseline=-0.6ex]{{{marks}}}"


#: the commands of a chart's long paths: PGF's basic layer, five times faster than
#: TikZ's path parser on a curve of a few thousand points (defined in the chart's group).
#: A dot (\bpc, of radius \bpR, \bpK = 0.5523 \bpR) is a circle of four curves made with
#: PGF's quick commands (no transformation, no bounding box: the chart sets its own), twice
#: as fast as \pgfpathcircle
_PATHS = (r"\def\bpm#1#2{\pgfpathmoveto{\pgfqpoint{#1cm}{#2cm}}}"
          r"\def\bpl#1#2{\pgfpathlineto{\pgfqpoint{#1cm}{#2cm}}}"
          r"\def\bpc#1#2{\edef\bpX{\the\dimexpr#1cm\relax}\edef\bpY{\the\dimexpr#2cm\relax}"
          r"\pgfpathqmoveto{\bpx+\bpR}{\bpY}"
          r"\pgfpathqcurveto{\bpx+\bpR}{\bpy+\bpK}{\bpx+\bpK}{\bpy+\bpR}{\bpX}{\bpy+\bpR}"
          r"\pgfpathqcurveto{\bpx-\bpK}{\bpy+\bpR}{\bpx-\bpR}{\bpy+\bpK}{\bpx-\bpR}{\bpY}"
          r"\pgfpathqcurveto{\bpx-\bpR}{\bpy-\bpK}{\bpx-\bpK}{\bpy-\bpR}{\bpX}{\bpy-\bpR}"
          r"\pgfpathqcurveto{\bpx+\bpK}{\bpy-\bpR}{\bpx+\bpR}{\bpy-\bpK}{\bpx+\bpR}{\bpY}\pgfpathclose}"
          r"\def\bpx#1#2{\the\dimexpr\bpX#1#2\relax}\def\bpy#1#2{\the\dimexpr\bpY#1#2\relax}"
          r"\def\bpb#1#2#3#4{\pgfpathrectanglecorners{\pgfqpoint{#1cm}{#2cm}}{\pgfqpoint{#3cm}{#4cm}}}")


def _calls(name, points, per_line=6):
    """``\name{x}{y}...`` for each point, a few to a source line."""
    calls = ["\\" + name + "".join("{" + _n(v) + "}" for v in pt) for pt in points]
    return "\n".join("".join(calls[k:k + per_line]) for k in range(0, len(calls), per_line))


def _scope(settings, path, use):
    return f"\\begin{{pgfscope}}{settings}\n{path}\\pgfusepath{{{use}}}\\end{{pgfscope}}"


def _layer(item, shapes):
    """An item's shapes (cm, laid out by Plot) as PGF paths: one a line, a class of dots
    or of regions (one path, so a region shows no seams between its cells)."""
    out = []
    if isinstance(item, m.Line) and shapes:
        dash = "\\pgfsetdash{{%spt}{%spt}}{0pt}" % m.Plot.DASH if item.dashed else ""
        path = "".join(_calls("bpm", piece[:1]) + _calls("bpl", piece[1:]) + "\n" for piece in shapes)
        out.append(_scope(f"\\pgfsetstrokecolor{{bps{item.style % len(m.SERIES_COLOURS)}}}"
                          f"\\pgfsetlinewidth{{{m.Plot.LINE}pt}}{dash}", path, "stroke"))
    elif isinstance(item, m.Dots) and item.cross:
        r = 1.4 * m.Plot.HOLLOW
        path = "".join(_calls("bpm", [(x - r, y - r)]) + _calls("bpl", [(x + r, y + r)])
                       + _calls("bpm", [(x - r, y + r)]) + _calls("bpl", [(x + r, y - r)]) + "\n"
                       for x, y, _ in shapes)
        if path:
            out.append(_scope("\\pgfsetstrokecolor{black}\\pgfsetlinewidth{0.6pt}", path, "stroke"))
    elif isinstance(item, m.Dots):
        r = _radius(item) * 72.27 / 2.54  # pt
        for k in sorted({k for _, _, k in shapes}):
            c = k % len(m.CLASS_COLOURS)
            look = (f"\\pgfsetfillcolor{{white}}\\pgfsetstrokecolor{{bpk{c}}}\\pgfsetlinewidth{{0.7pt}}" if item.hollow
                    else f"\\pgfsetfillcolor{{bpk{c}}}\\pgfsetstrokecolor{{white}}\\pgfsetlinewidth{{0.25pt}}")
            out.append(_scope(f"{look}\\def\\bpR{{{_n(r)}pt}}\\def\\bpK{{{_n(0.5523 * r)}pt}}",
                              _calls("bpc", [(x, y) for x, y, kk in shapes if kk == k]) + "\n", "fill,stroke"))
    elif isinstance(item, m.Regions):
        for k in sorted({s[0] for s in shapes}):
            out.append(_scope(f"\\pgfsetfillcolor{{bpr{k % len(m.CLASS_COLOURS)}}}",
                              _calls("bpb", [s[1:] for s in shapes if s[0] == k], 4) + "\n", "fill"))
    return out


def _chart(b):
    """A chart in plain TikZ (no pgfplots: a run of thousands of epochs compiles in a
    fraction of a second), laid out by :class:`~solver.document.model.Plot`; its legend
    under it, wrapped to its width; scaled to the line's width if wider."""
    p = m.Plot(b)
    l, bo, r, t = p.box
    out = [f"\\useasboundingbox (0,0) rectangle {_pt(p.width, p.height)};"]
    grid = [f"{_pt(x, bo)} -- {_pt(x, t)}" for x, _ in p.x_ticks] + [f"{_pt(l, y)} -- {_pt(r, y)}" for y, _ in p.y_ticks]
    out.append("\\draw[black!10, line width=0.3pt] " + " ".join(grid) + ";")
    for item, shapes in p.layers:
        out += _layer(item, shapes)
    marks = [f"{_pt(x, bo)} -- {_pt(x, bo + 0.08)}" for x, _ in p.x_ticks]
    marks += [f"{_pt(l, y)} -- {_pt(l + 0.08, y)}" for y, _ in p.y_ticks]
    marks += [f"{_pt(l, y)} -- {_pt(l + 0.045, y)}" for y in p.minor]
    out.append(f"\\draw[line width=0.4pt] {_pt(l, bo)} rectangle {_pt(r, t)} " + " ".join(marks) + ";")
    out += [f"\\node[anchor=north, inner sep=0pt] at {_pt(x, bo - m.Plot.GAP)} {{${lab}$}};" for x, lab in p.x_ticks]
    out += [f"\\node[anchor=east, inner sep=0pt] at {_pt(l - m.Plot.GAP, y)} {{${lab}$}};" for y, lab in p.y_ticks]
    if p.x_label:
        out.append(f"\\node[anchor=south, inner sep=0pt, font=\\footnotesize] at {_pt(*p.x_label)} "
                   f"{{{_label(b.x_label, r - l)}}};")
    if p.y_label:
        out.append(f"\\node[rotate=90, inner sep=0pt, font=\\footnotesize] at {_pt(*p.y_label)} "
                   f"{{{_label(b.y_label, t - bo + 0.2)}}};")
    if p.title:
        out.append(f"\\node[anchor=north, inner sep=0pt, font=\\small\\bfseries] at {_pt(*p.title)} "
                   f"{{{_label(b.title, p.width)}}};")
    body = ("\\begin{tikzpicture}[font=\\scriptsize, line join=round, line cap=round]\n"
            + "\n".join(out) + "\n\\end{tikzpicture}")
    if p.legend:
        # a sample stays with its label's first word; a long label may break
        keys = "\\hspace{1.1em plus 0.5em}\n".join(f"\\mbox{{{_key(i)}}}\\nobreak\\hspace{{0.2em}}{text(i.label)}"
                                                     for i in p.legend)
        body = (f"\\begin{{tabular}}{{@{{}}c@{{}}}}\n{body}\\\\[1pt]\n\\parbox{{{_n(p.width)}cm}}"
                f"{{\\centering\\scriptsize\n{keys}}}\n\\end{{tabular}}")
    series = sorted({i.style % len(m.SERIES_COLOURS) for i in b.items if isinstance(i, m.Line)})
    colours = [_colour(f"bps{k}", m.SERIES_COLOURS[k]) for k in series]
    if any(isinstance(i, (m.Dots, m.Regions)) for i in b.items):
        for k, c in enumerate(m.CLASS_COLOURS):
            colours += [_colour(f"bpk{k}", c), _colour(f"bpr{k}", m.light(c))]
    return ("\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n"
            + "".join(c + "%\n" for c in colours) + _PATHS + "%\n" + body + "}\n")


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


def blocks_tex(blocks):
    return "".join(WRITERS[type(b)](b) for b in blocks)


def write(doc):
    """The whole LaTeX source of a document: the house preamble, then its blocks."""
    return (preamble() + "\n\n\n\\begin{document}\n"
            + blocks_tex(doc.blocks) + "\\end{document}\n")
