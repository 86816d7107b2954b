"""Derive stage: the symbolic formulas of a problem, worked out by SymPy.

For every (activation, slope, loss) triple the problem uses, SymPy differentiates the
activation and the loss and simplifies the output delta dE/dz. The results depend on
nothing else (not on sizes, numbers or notation), so they are cached on disk as JSON,
one file per triple, in ``$BACKPROP_CACHE`` or ``$XDG_CACHE_HOME/backprop-solver`` or
``~/.cache/backprop-solver``. A warm run reads the JSON and never imports SymPy:
``import sympy`` happens inside :func:`_derive_sympy` only.

The LaTeX strings use notation-free placeholder tokens that the render stage replaces:

    ZZ   the argument of f (generic) or, in the output delta, the output pre-activation
    YH   the output of unit i (y-hat_i)        YT   the target of unit i (y_i)
    YS   the sum of the targets over the output units (softmax only)
    CC   the number of output units            GG   dE/dyhat_i (softmax Jacobian form)

Each entry also holds ``delta_expr`` / ``dE_expr``: the same expressions as SymPy
strings (symbols YH, YT, ZZ, YS, CC; function sigma), so that tests can check them
against the trace's numbers.
"""

import hashlib
import json
import threading
from pathlib import Path

from .files import cache_dir, write_atomic
from .functions import ACTIVATIONS, make_activation, make_loss

#: the cache key: a digest of this module's source and of solver/functions.py (where each
#: activation and loss keeps its SymPy form), so any change to the derivations (or to
#: how they are stored) makes old cache files unused, with nothing to remember
VERSION = hashlib.sha256(Path(__file__).read_bytes()
                         + (Path(__file__).parent / "functions.py").read_bytes()).hexdigest()[:12]

TOKENS = ("ZZ", "YH", "YT", "YS", "CC", "GG")

_SYMPY_LOCK = threading.RLock()  # re-entered by solver.steps, which asks derive


def _key(activation, slope, loss, loss_param=None):
    s = "" if slope is None else repr(float(slope))
    lp = "" if loss_param is None else "_" + repr(float(loss_param))
    return f"v{VERSION}_{activation}_{s}_{loss}{lp}.json"


def derive(activation, slope, loss, loss_param=None):
    """The derivations for one (activation, option, loss, loss option) triple, from the
    cache if there (``slope`` is the activation's option: leaky_relu's slope, elu's alpha).

    Returns a dict of LaTeX strings (with the placeholder tokens) and SymPy strings:
    f, fprime, fprime_output_form, E, dE, delta, delta_kind, delta_simplified, ...

    >>> d = derive("sigmoid", None, "binary_cross_entropy")
    >>> d["delta"], d["delta_simplified"]
    ('YH - YT', True)
    """
    path = cache_dir() / _key(activation, slope, loss, loss_param)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") == VERSION:
            return data
    except (OSError, ValueError):
        pass
    with _SYMPY_LOCK:  # solve -j runs problems in threads; SymPy runs one at a time
        data = _derive_sympy(activation, slope, loss, loss_param)
    try:
        write_atomic(path, json.dumps(data, indent=1).encode("utf-8"))
    except OSError:
        pass  # a read-only cache only costs time
    return data


def derive_problem(problem):
    """Derivations for every computing layer of a problem: a list, layer 1 first.

    Hidden layers use the same triple as the output (their delta entries are unused).
    """
    return [derive(name, slope, problem.loss, problem.loss_param) for name, slope in problem.activations]


# ---------------------------------------------------------------------------------------
# SymPy side (imported lazily)


def _derive_sympy(activation, slope, loss, loss_param=None):
    import sympy as sp

    Z, S, YH, YT, YS, C, G = sp.symbols("ZZ SS YH YT YS CC GG")
    sigma = sp.Function("sigma")

    def tex(e):
        return sp.latex(e, ln_notation=True)

    # ---- the activation and its derivative
    if activation == "softmax":
        f_tex = r"\frac{e^{ZZ_i}}{\sum_{k=1}^{CC} e^{ZZ_k}}"
        fprime_tex, fprime_expr, output_form = _softmax_jacobian(sp), None, True
    else:
        act = make_activation(activation, slope)
        f, (write_as, inverse) = act.sympy(sp, Z, S, sigma)
        d = sp.diff(f, Z)
        if inverse is not None:
            d_s = sp.simplify(d.subs(Z, inverse))  # f' in terms of s = write_as(z)
            assert not d_s.has(Z)
            fprime_s, _ = tidy(sp, d_s, (S,))
            fprime = fprime_s.subs(S, write_as)
            fprime_tex = _tex_tidy(sp, d_s, (S,), {S: write_as})
        else:
            fprime = act.sympy_fprime(sp, Z, sigma)
            written = fprime is not None
            if not written:
                fprime = sp.simplify(d)
            fprime_tex = tex(fprime)
            if fprime.has(sp.Piecewise):
                fprime_tex = _cases(sp, fprime, tex)
        if (write_as is not None and write_as.func == sigma) or (inverse is None and written):
            check = (d - fprime.subs(sigma(Z), 1 / (1 + sp.exp(-Z)))).rewrite(sp.exp)
        else:
            check = d - fprime
        assert sp.simplify(check) == 0, (activation, fprime)
        f_tex = tex(f)
        fprime_expr = str(fprime)
        output_form = act.output_form

    # ---- the loss of one sample, written per output unit, and dE/dyhat_i
    E_unit = make_loss(loss, loss_param).sympy(sp, YH, YT, C)
    g = sp.simplify(sp.diff(E_unit, YH))
    g_tidy = tidy(sp, sp.factor(sp.together(g)), (YH, YT))
    g_tex = _tex_tidy(sp, sp.factor(sp.together(g)), (YH, YT), {})
    if E_unit.could_extract_minus_sign():
        inner = -E_unit
        body = tex(inner)
        body = rf"\left[{body}\right]" if isinstance(inner, sp.Add) else body
        E_tex = rf"-\sum_{{i=1}}^{{CC}} {body}"
    else:
        body = tex(E_unit)
        body = rf"\left[{body}\right]" if isinstance(E_unit, sp.Add) else body
        E_tex = rf"\sum_{{i=1}}^{{CC}} {body}"
    if loss == "mean_squared_error":  # 1/C in front of the sum reads better
        E_tex = r"\frac{1}{CC} \sum_{i=1}^{CC} \left(YH - YT\right)^{2}"

    out = {"version": VERSION, "activation": activation, "slope": slope, "loss": loss,
           "name": ACTIVATIONS[activation].tex, "f": f_tex, "fprime": fprime_tex,
           "fprime_expr": fprime_expr, "fprime_output_form": output_form,
           "E": E_tex, "E_expr": str(E_unit), "dE": g_tex, "dE_expr": str(g_tidy[0])}

    # ---- the output delta dE/dz
    if activation == "softmax":
        out.update(_softmax_delta(sp, loss))
        return out
    # f, d = f'(z) and d_s (f' written in s) are those worked out above; at the output
    # yhat = f(z), so f' written in f's own output is f' written in yhat
    fp_out = d_s.subs(S, YH if act.output_form else write_as) if inverse is not None else fprime
    if inverse is not None:
        delta = sp.simplify(g * fp_out)
        if not delta.has(sp.Piecewise):
            delta = sp.factor(sp.together(delta))
        symbols = (YH, YT)
        (delta_t, _), delta_tex = tidy(sp, delta, symbols), _tex_tidy(sp, delta, symbols, {})
    else:
        delta_t = sp.piecewise_fold(sp.simplify(g * sp.simplify(d)))
        delta_tex = tex(delta_t) if delta_t.has(sp.Piecewise) else _tex_tidy(sp, delta_t, (YH, YT), {})
    # simplified: the derivative factor cancelled (delta no longer than dE/dyhat);
    # otherwise delta is written as the product dE/dyhat * f', as people write it
    simplified = sp.count_ops(delta_t) <= sp.count_ops(g_tidy[0])
    if g.has(sp.Piecewise):  # a piecewise loss (huber): its gradient times f', as written
        simplified = False
        fp_tex = fprime_tex if inverse is None else _tex_tidy(sp, fp_out, (YH, YT), {})
        delta_tex = g_tex if fp_tex == "1" else g_tex + r" \, " + (fp_tex if fp_tex.startswith(r"\begin") else _wrap(fp_tex))
    elif delta_t.has(sp.Piecewise):
        simplified = False
        delta_tex = _cases(sp, delta_t, lambda v: _tex_tidy(sp, v, (YH, YT), {}))
    elif not simplified:
        delta_tex = _wrap(g_tex) + r" \, " + _wrap(_tex_tidy(sp, fp_out, (YH, YT), {}))
    out.update({"delta_kind": "elementwise", "delta": delta_tex, "delta_expr": str(delta_t),
                "delta_general": None, "delta_simplified": bool(simplified)})
    return out


def _cases(sp, pw, tex):
    """A Piecewise as a LaTeX cases block: an activation's (one condition ZZ > 0) ends
    with "if ZZ <= 0", any other (a loss's) with "otherwise"."""
    rows = []
    activation = [c for _, c in pw.args[:-1]] == [sp.StrictGreaterThan(sp.Symbol("ZZ"), 0)]
    for value, cond in pw.args:
        if cond is not sp.true:
            c = r" & \text{if } " + sp.latex(cond)
        else:
            c = r" & \text{if } ZZ \le 0" if activation else r" & \text{otherwise}"
        rows.append((tex(value) if value != 0 else "0") + c)
    return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"


def _wrap(t):
    """LaTeX ``t``, in brackets if it is a sum at its top level."""
    depth, top_sum = 0, False
    for k, ch in enumerate(t):
        depth += 1 if ch in "{(" else -1 if ch in "})" else 0
        if depth == 0 and ch in "+-" and k > 1:
            top_sum = True
    return rf"\left({t}\right)" if top_sum else t


def _softmax_jacobian(sp):
    """d yhat_i / d z_j = yhat_i (delta_ij - yhat_j), derived on three units and checked."""
    z = sp.symbols("z1:4")
    den = sum(sp.exp(v) for v in z)
    s = [sp.exp(v) / den for v in z]
    for i in range(3):
        for j in range(3):
            assert sp.simplify(sp.diff(s[i], z[j]) - s[i] * (int(i == j) - s[j])) == 0
    return r"\frac{\partial YH_i}{\partial ZZ_j} = YH_i \left(\delta_{ij} - YH_j\right)"


def _softmax_delta(sp, loss):
    """dE/dz_j for softmax outputs: a closed form where the sum allows one, else the
    Jacobian applied to dE/dyhat. Derived on three output units."""
    yh = sp.symbols("yh1:4", positive=True)
    yt = sp.symbols("yt1:4")
    YH, YT, YS, C, G = sp.symbols("YH YT YS CC GG")
    E = sum(make_loss(loss).sympy(sp, a, t, sp.Integer(3)) for a, t in zip(yh, yt))
    dE = [sp.diff(E, a) for a in yh]
    # dE/dz_1 by the chain rule through the softmax Jacobian, written in yhat
    jac = [[yh[i] * (int(i == j) - yh[j]) for j in range(3)] for i in range(3)]
    delta1 = sp.expand(sum(dE[i] * jac[i][0] for i in range(3)))
    # replace the sum of the targets by YS and see whether a per-unit form remains
    closed = sp.expand(delta1.subs(yt[2], YS - yt[0] - yt[1]))
    names = {yh[0]: YH, yt[0]: YT}
    if not closed.has(yh[1], yh[2], yt[1], yt[2]):
        general = closed.subs(names)
        onehot = sp.simplify(general.subs(YS, 1))
        tex_general = sp.latex(sp.collect(sp.expand(general), YS))
        (one_t, _), tex_one = tidy(sp, onehot, (YH, YT)), _tex_tidy(sp, onehot, (YH, YT), {})
        tex_general = tex_general.replace("YS", r"\left(\sum_{k=1}^{CC} YT_k\right)")
        assert tex_general.count("YT") == 2
        return {"delta_kind": "softmax_sum", "delta": tex_one, "delta_expr": str(one_t),
                "delta_general": tex_general, "delta_general_expr": str(general),
                "delta_simplified": True}
    # no per-unit closed form: check the Jacobian form against the chain rule
    jac_form = yh[0] * (dE[0] - sum(yh[k] * dE[k] for k in range(3)))
    assert sp.expand(jac_form - delta1) == 0
    return {"delta_kind": "softmax_jacobian",
            "delta": r"YH \left(GG_i - \sum_{k=1}^{CC} YH_k\, GG_k\right)",
            "delta_expr": "YH*(GG - YG)", "delta_general": None, "delta_simplified": False}


def tidy(sp, e, symbols):
    """(expression, parts) with the signs of its factors chosen to read naturally.

    Factors such as (s - 1) are flipped to (1 - s) in pairs (or against the overall sign)
    so that as few factors as possible start with a minus; the expanded form is kept
    where it uses the symbols fewer times (1 - s^2 rather than (1 - s)(1 + s)).
    """
    if e.has(sp.Piecewise):
        return e, None
    expanded = sp.expand(e)
    factored = sp.factor(e)

    def uses(x):
        return sum(1 for a in sp.preorder_traversal(x) if a in symbols)

    if uses(expanded) < uses(factored):
        factored = expanded
    if isinstance(factored, sp.Add):
        c, prim = factored.primitive()
        if c == 1:
            return factored, None
        factored = sp.Mul(c, prim, evaluate=False)
    if not isinstance(factored, (sp.Mul, sp.Pow)):
        return factored, None
    num, den = sp.fraction(factored)
    parts = []
    for side, x in ((0, num), (1, den)):
        c, fs = x.as_coeff_mul()
        fs = list(fs)
        for k, f in enumerate(fs):
            if isinstance(f, sp.Add):
                c2, fs[k] = f.primitive()
                c *= c2
        parts.append([c, fs])
    flippable = [(s, k) for s in (0, 1) for k, f in enumerate(parts[s][1])
                 if isinstance(f, sp.Add) or (isinstance(f, sp.Pow) and isinstance(f.base, sp.Add)
                                              and f.exp.is_integer and f.exp % 2 == 1)]

    def neg_const(f):
        base = f.base if isinstance(f, sp.Pow) else f
        c = base.as_coeff_add()[0]
        return 1 if c < 0 else 0

    best = None
    for mask in range(1 << len(flippable)):
        sign = 1
        score = 0
        for bit, (s, k) in enumerate(flippable):
            f = parts[s][1][k]
            flip = bool(mask >> bit & 1)
            if flip:
                sign = -sign
            base = f.base if isinstance(f, sp.Pow) else f
            score += neg_const(-base if flip else base)
        overall = sign * parts[0][0] * parts[1][0]
        score += 1 if overall < 0 else 0
        cand = (score, bin(mask).count("1"), mask)
        if best is None or cand < best:
            best = cand
    mask = best[2]
    new = [[parts[0][0], list(parts[0][1])], [parts[1][0], list(parts[1][1])]]
    sign = 1
    for bit, (s, k) in enumerate(flippable):
        if mask >> bit & 1:
            f = new[s][1][k]
            new[s][1][k] = sp.Pow(sp.expand(-f.base), f.exp) if isinstance(f, sp.Pow) else sp.expand(-f)
            sign = -sign
    coef = sign * new[0][0] / new[1][0]
    expr = coef * sp.Mul(*new[0][1]) / sp.Mul(*new[1][1])
    assert sp.simplify(expr - e) == 0
    return expr, (coef, new[0][1], new[1][1])


def _tex_tidy(sp, e, symbols, subs):
    """LaTeX of ``tidy(e)``: factors in a natural order (the ones holding YT first, then
    single symbols and functions, then the other brackets); ``subs`` renames symbols."""
    expr, parts = tidy(sp, e, symbols)

    def tex(x):
        return sp.latex(x.subs(subs) if subs else x, ln_notation=True)

    if parts is None:
        return tex(expr)
    coef, num, den = parts
    YT = sp.Symbol("YT")

    def order(f):
        base = f.base if isinstance(f, sp.Pow) else f
        if base.has(YT) and isinstance(base, sp.Add):
            return 0
        return 2 if isinstance(base, sp.Add) else 1

    def product(fs, alone=False):
        out = []
        for f in sorted(fs, key=order):
            base = f.base if isinstance(f, sp.Pow) else f
            if alone and len(fs) == 1 and not isinstance(f, sp.Pow):
                out.append(tex(f))
            elif isinstance(base, sp.Add):
                t = rf"\left({tex(base)}\right)"
                out.append(t + (rf"^{{{tex(f.exp)}}}" if isinstance(f, sp.Pow) else ""))
            else:
                out.append(tex(f))
        return " ".join(out) if out else "1"

    c = abs(coef)
    p, q = sp.fraction(sp.nsimplify(c))
    top = product(num, alone=p == 1)
    if p != 1:
        top = f"{tex(p)} {top}" if num else tex(p)
    bottom = product(den) if den else ""
    if q != 1:
        bottom = f"{tex(q)} {bottom}".strip()
    body = rf"\frac{{{top}}}{{{bottom}}}" if bottom else top
    return ("- " if coef < 0 else "") + body
