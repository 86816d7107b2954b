"""Checked derivations (solver.derivations) as document blocks, in any notation.

:func:`blocks` turns one derivation (JSON data with notation tokens, see
solver.derivations) into model blocks: its sentences as paragraphs, its definitions as
displayed equations, each chain as an :class:`~solver.document.model.Align` whose rows
are ``lhs = rhs`` with the justification in a column of its own, so the LaTeX and the
HTML writers show the same. :func:`build` is the document of a derivation problem (one
that asks for derivations alone, without numbers); :func:`to_json` what ``backprop
trace`` prints for it.
"""

import re

from .model import Align, Break, Display, Document, Heading, Math, Para, Row, Title, plain, text
from .notation import Notation, description_text

_ARG = r"\{((?:[^{}]|\{[^{}]*\})*)\}"  # a token's argument: text with braces one deep
_TOKEN = re.compile(r"@([A-Za-z]+)(?:" + _ARG + ")?(?:" + _ARG + ")?")
_BOLD = re.compile(r"\\(?:mathbf|boldsymbol)\{([^{}]*)\}")
#: words of a justification: plain text only (they go into \text{...} of both writers)
_PLAIN = re.compile(r"^[A-Za-z0-9 ,.;:'()=<>/+\-]*$")


def _transposed(n):
    """The preset writes W^(l) with a row per unit of layer l-1 (w_{i,j} from unit i to
    unit j): the transpose of the engine's matrix."""
    return n.p.get("transpose", False)


def _entry(n, key, l, index):
    """The symbol of one entry of a matrix or vector symbol (W, b, delta) of layer ``l``:
    the preset's symbol without its bold face, subscripted by ``index`` (a weight's
    "j,i", row j of the engine's matrix, is "i,j" in a transposed preset)."""
    if key == "W" and _transposed(n):
        index = ",".join(reversed(index.split(",")))
    sym = n.W(l) if key == "W" else n.b(l) if key == "b" else n.delta(l)
    sym = sym[1:-1] if sym.startswith("{") and sym.endswith("}") else sym
    return "{" + _BOLD.sub(r"\1", sym) + f"_{{{index}}}" + "}"


def _layer(n, s):
    """A layer label of a token: a number, L, L-1, or k, k-1, k+1 (k: the notation's letter)."""
    s = s.strip()
    if s.isdigit():
        return int(s)
    return n.layer + s[1:] if s.startswith("k") else s


def _tokens(n, tex):
    def one(m):
        name, a, b = m.group(1), m.group(2), m.group(3)
        if name == "L":
            return n.loss
        if name == "yhat":
            return n.yhat
        if name == "y":
            return n.y
        if name == "had":
            return n.had
        if name == "shape":  # the shape of a weight matrix of a rows x b columns in the engine
            return f"{b} \\times {a}" if _transposed(n) else f"{a} \\times {b}"
        if name == "outerdims":  # the factors of its gradient: (a x 1)(1 x b)
            return (f"({b} \\times 1)(1 \\times {a})" if _transposed(n) else f"({a} \\times 1)(1 \\times {b})")
        l = _layer(n, a)
        if name == "pre":
            return "{" + n.unit("pre_unit", l, b) + "}"
        if name == "act":
            return "{" + (n.unit("x_unit", 0, b) if l == 0 else n.unit("act_unit", l, b)) + "}"
        if name in ("W", "b"):
            return _entry(n, name, l, b)
        if name == "d":
            return _entry(n, "delta", l, b)
        matrices = {"zm": n.pre, "am": n.act, "Wm": n.W, "bm": n.b, "dm": n.delta}
        if name in matrices:
            return matrices[name](l)
        grads = {"gW": n.W, "gb": n.b, "gz": n.pre}
        if name in grads:
            return n.grad(grads[name](l))
        if name == "outer":  # the gradient of W^(l): delta (a)^T, or a (delta)^T transposed
            d, x = n.delta(l), n.act(_layer(n, f"{a}-1") if isinstance(l, str) else l - 1)
            return rf"{x}\, \big({d}\big)^{{\top}}" if _transposed(n) else rf"{d}\, \big({x}\big)^{{\top}}"
        if name == "WTd":  # the deltas of layer l sent back through its weights
            return (rf"{n.W(l)}\, {n.delta(l)}" if _transposed(n) else rf"{n.W(l)}^{{\top}} {n.delta(l)}")
        raise ValueError(f"unknown derivation token @{name}")

    return _TOKEN.sub(one, tex)


def fill(n, tex, how):
    """TeX with every token replaced by notation ``n``'s symbols; ``how`` holds the
    unit a bare YH stands for (``unit``), the output layer (``out_layer``) and whether ZZ
    is a function's argument (``arg``)."""
    tex = _tokens(n, tex)
    L = how.get("out_layer", "L")
    for k in ("m",):  # indices beyond Notation.fill's k, j, i
        tex = (tex.replace(f"YH_{k}", "{" + n.unit("yhat_unit", "L", k) + "}")
               .replace(f"YT_{k}", "{" + n.unit("y_unit", "L", k) + "}")
               .replace(f"ZZ_{k}", "{" + n.unit("pre_unit", L, k) + "}"))
    return n.fill(tex, unit=how.get("unit", "i"), out_layer=L, arg=how.get("arg", False))


def _why(n, why, how):
    """A justification as TeX math: its words in \\text{...}, its mathematics in text
    style (a sum written small, as in a line of text)."""
    out = []
    for k, piece in enumerate(fill(n, why, how).split("$")):
        if not piece:
            continue
        if k % 2:
            out.append(r"{\textstyle " + piece + "}")
        elif _PLAIN.match(piece):
            out.append(r"\text{" + piece + "}")
        else:
            raise ValueError(f"a justification's words must be plain text: {piece!r}")
    return " ".join(out)


def row_tex(n, r, how):
    """One row of a chain as Align TeX: ``lhs &= rhs && \\text{why}``."""
    tex = f"{fill(n, r['lhs'], how)} &{r['rel']} {fill(n, r['rhs'], how)}"
    if r.get("why"):
        tex += r" &&\quad " + _why(n, r["why"], how)
    return tex


def _how(d, context):
    """How the tokens of derivation ``d`` are filled in: its own choices (``arg``: ZZ is a
    function's argument; ``unit``: a bare YH is that unit; ``per_unit``: written for one
    output unit, which is unnamed where the output layer has one unit) in the problem's
    ``context`` (``out_layer``: the number L; ``one_output``)."""
    f, context = d.get("fill") or {}, context or {}
    unit = f.get("unit") or ("" if f.get("per_unit") and context.get("one_output") else "i")
    return {"unit": unit, "arg": f.get("arg", False), "out_layer": context.get("out_layer", "L")}


def blocks(d, n, how=None, lead=True):
    """The blocks of one derivation ``d`` (JSON data) in notation ``n``; ``how`` is the
    problem's context (see :func:`_how`). ``lead=False`` leaves out the sentence it
    opens with (where the document has said it already)."""
    how = _how(d, how)
    out = []
    parts = d["parts"]
    if not lead and parts and "text" in parts[0]:
        parts = parts[1:]
    for part in parts:
        if "text" in part:
            out.append(Para(text(fill(n, part["text"], how))))
        elif "math" in part:
            out.append(Display(Math(fill(n, part["math"], how))))
        else:
            out.append(Align([Row(Math(row_tex(n, r, how))) for r in part["rows"]]))
    if out and isinstance(out[-1], Para):
        out.append(Break())  # what follows starts a paragraph of its own
    return out


def steps_json(d, n, how=None):
    """A derivation as plain data in notation ``n``: its title and every displayed row
    (lhs, relation, rhs, justification) and sentence, in order."""
    how = _how(d, how)
    parts = []
    for part in d["parts"]:
        if "text" in part:
            parts.append({"text": fill(n, part["text"], how)})
        elif "math" in part:
            parts.append({"definition": fill(n, part["math"], how)})
        else:
            parts.append({"steps": [{"lhs": fill(n, r["lhs"], how), "rel": r["rel"],
                                     "rhs": fill(n, r["rhs"], how), "why": fill(n, r["why"], how)}
                                    for r in part["rows"]]})
    return {"name": d["name"], "title": d["title"], "parts": parts}


def build(problem, derivations, how=None):
    """The document of a derivation problem: its title and description, then each
    derivation it asks for, numbered."""
    n = Notation(problem.notation)
    doc = Document()
    doc.add(Title(plain(problem.title), ("Derivations",)))
    if problem.description:
        doc.add(Para(description_text(problem.description)))
    doc.add(Break(), Para(text("Notation: " + n.describe + ". Every step below is an equality that SymPy "
                               "has checked.")), Break())
    for k, d in enumerate(derivations, start=1):
        doc.add(Heading((d["title"],), number=str(k)), *blocks(d, n, how), Break())
    return doc
