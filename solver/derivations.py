"""The derivations the documents show, written step by step and checked (solver.steps).

Each builder below makes one :class:`~solver.steps.Derivation` and returns it checked,
as JSON data, from the cache when it is there (:func:`solver.steps.cached`): the TeX
holds notation tokens that solver.document.derivation fills in --

* solver.derive's ``ZZ`` (the argument, or an output pre-activation ``ZZ_j``), ``YH``,
  ``YT`` (an output and its target, ``YH_i``...), ``CC`` (the number of outputs), ``GG``;
* ``@L`` (the loss), ``@pre{l}{j}``, ``@act{l}{i}``, ``@W{l}{j,i}``, ``@b{l}{j}``,
  ``@d{l}{j}`` (units), ``@zm{l}``, ``@am{l}``, ``@Wm{l}``, ``@bm{l}``, ``@dm{l}``,
  ``@gW{l}``, ``@gb{l}``, ``@gz{l}`` (vectors, matrices, gradients), ``@yhat``, ``@y``,
  ``@had``; a layer is a number or ``L``, ``k``, ``k-1``, ``k+1`` (``k`` the notation's
  letter for any layer).

What a problem file can ask for (its ``derive:`` key) is :data:`NAMES`; :func:`parse`
checks such a file (a *derivation problem*: no numbers needed) and :func:`build` makes
every derivation it asks for. The activations' and losses' own steps live with them in
solver.functions (their ``derivation`` methods); what joins two of them (an output
delta) or belongs to the network (the index form, the shapes) is here.
"""

from dataclasses import dataclass

import numpy as np

from .functions import ACTIVATIONS, LOSSES, make_activation, make_loss
from .steps import Chain, Definition, Derivation, Fact, Step, cached

#: the derivations a problem file can ask for, with what each shows (docs/problem-format.md)
NAMES = {
    "activation_derivative": "the derivative of an activation, step by step",
    "loss_derivative": "the gradient of a loss with respect to an output",
    "output_delta": "the error at the output layer for an output activation and a loss",
    "index_form": "the gradients and the backward pass written unit by unit (indices)",
    "dimensions": "the shape of every gradient, matching its parameter's",
    "dead_relu": "what a ReLU unit with pre-activation <= 0 does to the backward pass",
    "batch_chain_rule": "the chain rule from a loss over N samples to the parameters",
    "linear_model_gradient": "the gradient of a loss over N samples for a linear model",
}

#: the options each derivation takes in a problem file, with the file's key it defaults to
OPTIONS = {
    "activation_derivative": ("activation",),
    "loss_derivative": ("loss",),
    "output_delta": ("activation", "loss"),
    "index_form": (),
    "dimensions": (),
    "dead_relu": (),
    "batch_chain_rule": ("loss", "reduction"),
    "linear_model_gradient": ("loss", "reduction"),
}

#: units per layer of the network the index form is checked on (the formula is the same
#: for every unit; a layer of one unit stays one)
CHECK_UNITS = 3


# ---------------------------------------------------------------------------------------
# SymPy helpers (imported lazily)


def _sp():
    import sympy as sp
    return sp


def _symbols(sp):
    """The symbols of derive's tokens: ZZ, YH (an output: in (0, 1) for the logarithms),
    YT, CC, and the undefined function sigma."""
    return (sp.Symbol("ZZ"), sp.Symbol("YH", positive=True), sp.Symbol("YT"),
            sp.Symbol("CC", positive=True, integer=True), sp.Function("sigma"))


def _read(sp, s):
    """A SymPy string of solver.derive, with sigma written out (so it has numbers)."""
    Z, YH, YT, C, sigma = _symbols(sp)
    e = sp.sympify(s, locals={"ZZ": Z, "YH": YH, "YT": YT, "CC": C, "sigma": sigma})
    return _resolve(sp, e)


def _resolve(sp, e):
    x = sp.Dummy("x")
    return e.replace(sp.Function("sigma"), sp.Lambda(x, 1 / (1 + sp.exp(-x))))


def _option(sp, thing):
    """An activation's or a loss's option as SymPy writes it (derive's choice)."""
    from .functions import _decimal
    return None if thing.param is None else _decimal(sp, thing.param)


def _formula(sp, act, Z):
    """f(Z) of an element-wise activation, with its option."""
    Zs = sp.Symbol("SS")
    return act.sympy(sp, Z, Zs, sp.Function("sigma"))[0]


def _final(steps, result):
    """``steps`` with the result row (Step tex None) filled in from ``result``."""
    out = []
    for s in steps:
        if s.tex is None:
            if out and out[-1].tex == result.tex:
                continue
            s = Step(result.tex, result.value, s.why)
        out.append(s)
    if not out or out[-1].tex != result.tex:
        out.append(Step(result.tex, result.value, ""))
    return out


def _is_piecewise(sp, e):
    return e.has(sp.Piecewise)


# ---------------------------------------------------------------------------------------
# activations


def activation_derivative(name, param=None):
    """f' of one activation (softmax: its Jacobian), checked; JSON data."""
    return cached({"d": "activation_derivative", "name": name, "param": param},
                  lambda: _activation(name, param))


def _activation(name, param):
    if name == "softmax":
        return _softmax_jacobian()
    from .derive import derive

    sp = _sp()
    Z = _symbols(sp)[0]
    act = make_activation(name, param)
    dv = derive(name, param, "squared_error")  # f' does not depend on the loss
    f = _formula(sp, act, Z)
    true = sp.diff(f, Z)
    result = Step(dv["fprime"], _read(sp, dv["fprime_expr"]))
    piecewise = _is_piecewise(sp, f)
    steps = act.derivation(sp, Z)
    if not steps:
        steps = [Step(rf"\frac{{d}}{{dZZ}} {_bracket(dv['f'])}", true, "the definition"),
                 Step(None, None, "each piece differentiated" if piecewise else "differentiated")]
    parts = []
    if not dv["f"].startswith(act.tex):
        parts.append(Definition(rf"{act.tex}(ZZ) = {dv['f']}"))
    parts.append(Chain(rf"{act.tex}'(ZZ)", true, _final(steps, result)))
    if piecewise:
        parts += _kink(sp, act, result.value, Z)
    option = f" ({act.option[0]} {act.param:g})" if act.option else ""
    return Derivation("activation_derivative", f"The derivative of {_words(name)}{option}", parts, {"arg": True})


def _kink(sp, act, fprime, Z):
    """f'(0) of a piecewise activation: the value the written form and the engine take
    at the kink, checked to agree."""
    written = fprime.subs(Z, 0)
    engine = float(np.asarray(act.derivative(np.zeros(1), act.forward(np.zeros(1))), dtype=float)[0])
    row = {"lhs": rf"{act.tex}'(0)", "rel": "=", "rhs": sp.latex(written),
           "why": "at the kink, by convention (the numbers use it too)"}
    return ["At $ZZ = 0$ the two pieces meet in a kink, where the derivative is not defined; "
            "the value of the piece $ZZ \\le 0$ is taken there:",
            Fact([row], lambda inst: float(written) == engine,
                 what=f"{act.name}'(0): written {written}, engine {engine}")]


def _bracket(t):
    return t if t.startswith(r"\begin") or t.startswith(r"\frac") else rf"\left({t}\right)"


def _words(name):
    return name.replace("_", " ")


def _softmax_jacobian():
    """dyhat_i/dz_j = yhat_i (delta_ij - yhat_j), by the quotient rule (C = 2, 3; every i, j)."""
    sp = _sp()
    S = r"\sum_{m=1}^{CC} e^{ZZ_m}"

    def inst(C, i, j):
        z = sp.symbols(f"z0:{C}")
        den = sum(sp.exp(v) for v in z)
        return {"C": C, "i": i, "j": j, "z": z, "den": den, "s": [sp.exp(v) / den for v in z],
                "kd": int(i == j)}

    insts = [inst(C, i, j) for C in (2, 3) for i in range(C) for j in range(C)]

    def e(k, I):
        return sp.exp(I["z"][k])

    chain = Chain(r"\frac{\partial YH_i}{\partial ZZ_j}", lambda I: sp.diff(I["s"][I["i"]], I["z"][I["j"]]), [
        Step(rf"\frac{{\partial}}{{\partial ZZ_j}} \frac{{e^{{ZZ_i}}}}{{{S}}}",
             lambda I: sp.diff(I["s"][I["i"]], I["z"][I["j"]]), "the definition of softmax"),
        Step(rf"\frac{{\delta_{{ij}}\, e^{{ZZ_i}} {S} - e^{{ZZ_i}}\, e^{{ZZ_j}}}}{{\left({S}\right)^{{2}}}}",
             lambda I: (I["kd"] * e(I["i"], I) * I["den"] - e(I["i"], I) * e(I["j"], I)) / I["den"] ** 2,
             r"the quotient rule; $\partial e^{ZZ_i} / \partial ZZ_j = \delta_{ij}\, e^{ZZ_i}$"),
        Step(rf"\frac{{e^{{ZZ_i}}}}{{{S}}} \left(\delta_{{ij}} - \frac{{e^{{ZZ_j}}}}{{{S}}}\right)",
             lambda I: e(I["i"], I) / I["den"] * (I["kd"] - e(I["j"], I) / I["den"]), "split the fraction"),
        Step(r"YH_i \left(\delta_{ij} - YH_j\right)", lambda I: I["s"][I["i"]] * (I["kd"] - I["s"][I["j"]]),
             "the definition of softmax"),
    ], insts)
    return Derivation("activation_derivative", "The Jacobian of softmax", [
        Definition(rf"YH_i = \frac{{e^{{ZZ_i}}}}{{{S}}}, \qquad i = 1, \dots, CC"),
        "Every output depends on every pre-activation, so the derivative is a matrix (the Jacobian):",
        chain,
        r"where $\delta_{ij}$ is the Kronecker delta: 1 if $i = j$, 0 otherwise.",
    ])


# ---------------------------------------------------------------------------------------
# losses


def loss_derivative(name, param=None):
    """dE/dyhat_i of one loss, checked; JSON data."""
    return cached({"d": "loss_derivative", "name": name, "param": param}, lambda: _loss(name, param))


def _loss_parts(sp, name, param):
    """(the chain of dE/dyhat_i, the derive entry) for a loss."""
    from .derive import derive

    Z, YH, YT, C, _ = _symbols(sp)
    loss = make_loss(name, param)
    dv = derive("linear", None, name, param)
    term = loss.sympy(sp, YH, YT, C)
    true = sp.diff(term, YH)
    result = Step(dv["dE"], _read(sp, dv["dE_expr"]))
    first = Step(rf"\frac{{\partial}}{{\partial YH}} {_bracket(sp.latex(term, ln_notation=True))}", true,
                 r"only one term holds $YH$")
    steps = _final([first] + loss.derivation(sp, YH, YT, C), result)
    return Chain(r"\frac{\partial @L}{\partial YH}", true, steps), dv


def _loss(name, param):
    sp = _sp()
    chain, dv = _loss_parts(sp, name, param)
    return Derivation("loss_derivative", f"The gradient of the {_words(name)} loss", [
        "The loss of one sample, over the $CC$ output units:",
        Definition(r"@L = " + dv["E"]),
        chain,
    ], {"per_unit": True})


# ---------------------------------------------------------------------------------------
# the output delta


def output_delta(activation, act_param, loss, loss_param=None, onehot=True):
    """delta = dE/dz at the output layer for an (activation, loss) pair, checked; JSON data.
    ``onehot``: the targets sum to 1 (softmax with cross-entropy ends at yhat - y)."""
    key = {"d": "output_delta", "activation": activation, "act_param": act_param, "loss": loss,
           "loss_param": loss_param, "onehot": bool(onehot)}
    return cached(key, lambda: _output_delta(activation, act_param, loss, loss_param, onehot))


def _output_delta(activation, act_param, loss, loss_param, onehot):
    if activation == "softmax" and loss == "cross_entropy":
        return _softmax_ce(onehot)
    if activation == "softmax":
        return _softmax_other(loss, loss_param)
    return _elementwise_delta(activation, act_param, loss, loss_param)


def _softmax_symbols(sp, C):
    """The symbols of a softmax over C outputs: pre-activations z, targets y, outputs Y
    as free (positive) symbols, and the softmax s of z."""
    z, y = sp.symbols(f"z0:{C}"), sp.symbols(f"y0:{C}")
    Y = sp.symbols(f"Y0:{C}", positive=True)
    den = sum(sp.exp(v) for v in z)
    return z, y, Y, [sp.exp(v) / den for v in z]


def _softmax_ce(onehot):
    """The softmax and cross-entropy delta as a worked solution writes it: the chain rule
    over the outputs, dE/dyhat_i = -y_i/yhat_i, the Jacobian with the Kronecker delta,
    the sum, and one-hot targets."""
    sp = _sp()
    jac = _softmax_jacobian()

    def inst(C, j):
        z, y, Y, s = _softmax_symbols(sp, C)
        E_of_Y = -sum(t * sp.log(a) for t, a in zip(y, Y))
        return {"C": C, "j": j, "z": z, "y": y, "Y": Y, "s": s, "E_of_Y": E_of_Y,
                "E": E_of_Y.subs(dict(zip(Y, s))), "onehot": {y[-1]: 1 - sum(y[:-1])}}

    insts = [inst(C, j) for C in (2, 3) for j in range(C)]

    def kd(i, j):
        return int(i == j)

    def true(I):
        return sp.diff(I["E"], I["z"][I["j"]])

    def terms(I, f):
        return sum(f(i, I) for i in range(I["C"]))

    chain_rule = Chain(r"\frac{\partial @L}{\partial ZZ_j}", true, [
        Step(r"\sum_{i=1}^{CC} \frac{\partial @L}{\partial YH_i}\, \frac{\partial YH_i}{\partial ZZ_j}",
             lambda I: terms(I, lambda i, I: sp.diff(I["E_of_Y"], I["Y"][i]).subs(dict(zip(I["Y"], I["s"])))
                             * sp.diff(I["s"][i], I["z"][I["j"]])),
             r"the chain rule, through every output"),
    ], insts)
    loss_insts = [dict(I, i=i) for I in insts if I["j"] == 0 for i in range(I["C"])]
    dE = Chain(r"\frac{\partial @L}{\partial YH_i}", lambda I: sp.diff(I["E_of_Y"], I["Y"][I["i"]]), [
        Step(r"-\frac{YT_i}{YH_i}", lambda I: -I["y"][I["i"]] / I["Y"][I["i"]],
             r"only the term $i$ holds $YH_i$; $(\ln u)' = 1/u$"),
    ], loss_insts)
    steps = [
        Step(r"\sum_{i=1}^{CC} \left(-\frac{YT_i}{YH_i}\right) YH_i \left(\delta_{ij} - YH_j\right)",
             lambda I: terms(I, lambda i, I: -I["y"][i] / I["s"][i] * I["s"][i] * (kd(i, I["j"]) - I["s"][I["j"]])),
             "the two factors above"),
        Step(r"-\sum_{i=1}^{CC} YT_i \left(\delta_{ij} - YH_j\right)",
             lambda I: -terms(I, lambda i, I: I["y"][i] * (kd(i, I["j"]) - I["s"][I["j"]])),
             r"$YH_i$ cancels"),
        Step(r"-YT_j + YH_j \sum_{i=1}^{CC} YT_i",
             lambda I: -I["y"][I["j"]] + I["s"][I["j"]] * sum(I["y"]),
             r"$\sum_i YT_i\, \delta_{ij} = YT_j$"),
    ]
    if onehot:
        steps.append(Step(r"YH_j - YT_j", lambda I: I["s"][I["j"]] - I["y"][I["j"]],
                          r"one-hot target: $\sum_i YT_i = 1$", given=lambda I: I["onehot"]))
    parts = [
        "The output layer applies softmax to its pre-activations, and the loss is the cross-entropy:",
        Definition(r"YH_i = \frac{e^{ZZ_i}}{\sum_{m=1}^{CC} e^{ZZ_m}}, \qquad "
                   r"@L = -\sum_{i=1}^{CC} YT_i \ln YH_i"),
        "Every output $YH_i$ depends on every pre-activation $ZZ_j$, so the chain rule sums over the outputs:",
        chain_rule,
        "The derivative of the loss with respect to the softmax output:",
        dE,
        "The derivative of softmax with respect to the pre-activation (the quotient rule):",
        *[p for p in jac.parts if isinstance(p, Chain)],
        r"where $\delta_{ij}$ is the Kronecker delta: 1 if $i = j$, 0 otherwise. With both in the chain rule:",
        Chain(r"\frac{\partial @L}{\partial ZZ_j}", true, steps, insts),
    ]
    if onehot:
        parts += ["The target is one-hot: only its true class $k$ has $YT_k = 1$, every other $YT_i = 0$, "
                  "so the sum of the targets is 1. For every output unit $j$ together:",
                  Chain(r"@dm{L}", lambda I: sp.Matrix([sp.diff(I["E"], v) for v in I["z"]]), [
                      Step(r"@gz{L}", lambda I: sp.Matrix([sp.diff(I["E"], v) for v in I["z"]]), "the definition"),
                      Step(r"@yhat - @y", lambda I: sp.Matrix([a - t for a, t in zip(I["s"], I["y"])]),
                           "one-hot target", given=lambda I: I["onehot"]),
                  ], [I for I in insts if I["j"] == 0])]
    else:
        parts += ["The targets of this problem do not all sum to 1, so the general form stays."]
    return Derivation("output_delta", "The error at the output layer: softmax with cross-entropy", parts)


def _softmax_other(loss, loss_param):
    """Softmax with another loss: the Jacobian applied to the loss gradient."""
    from .derive import derive

    sp = _sp()
    lo = make_loss(loss, loss_param)
    dv = derive("softmax", None, loss, loss_param)

    def inst(C, j):
        z, y, Y, s = _softmax_symbols(sp, C)
        E_of_Y = sum(lo.sympy(sp, a, t, sp.Integer(C)) for a, t in zip(Y, y))
        g = [sp.diff(E_of_Y, a).subs(dict(zip(Y, s))) for a in Y]
        return {"C": C, "j": j, "z": z, "s": s, "g": g, "E": E_of_Y.subs(dict(zip(Y, s)))}

    insts = [inst(C, j) for C in (2, 3) for j in range(C)]

    def total(I, f):
        return sum(f(i) for i in range(I["C"]))

    j = lambda I: I["j"]  # noqa: E731
    chain = Chain(r"\frac{\partial @L}{\partial ZZ_j}", lambda I: sp.diff(I["E"], I["z"][j(I)]), [
        Step(r"\sum_{i=1}^{CC} \frac{\partial @L}{\partial YH_i}\, \frac{\partial YH_i}{\partial ZZ_j}",
             lambda I: total(I, lambda i: I["g"][i] * sp.diff(I["s"][i], I["z"][j(I)])), "the chain rule"),
        Step(r"\sum_{i=1}^{CC} GG_i\, YH_i \left(\delta_{ij} - YH_j\right)",
             lambda I: total(I, lambda i: I["g"][i] * I["s"][i] * (int(i == j(I)) - I["s"][j(I)])),
             "the Jacobian of softmax"),
        Step(r"YH_j \left(GG_j - \sum_{i=1}^{CC} YH_i\, GG_i\right)",
             lambda I: I["s"][j(I)] * (I["g"][j(I)] - total(I, lambda i: I["s"][i] * I["g"][i])),
             r"the term $i = j$ taken apart"),
    ], insts)
    return Derivation("output_delta", f"The error at the output layer: softmax with {_words(loss)}", [
        "The output layer applies softmax; the loss and its gradient:",
        Definition(r"@L = " + dv["E"] + r", \qquad GG_i = " + dv["dE"].replace("YH", "YH_i").replace("YT", "YT_i")),
        "Every output depends on every pre-activation, so the chain rule sums over the outputs, "
        r"with the Jacobian $\partial YH_i / \partial ZZ_j = YH_i (\delta_{ij} - YH_j)$ ($\delta_{ij}$ the "
        "Kronecker delta):",
        chain,
    ])


def _elementwise_delta(activation, act_param, loss, loss_param):
    """delta_i = dE/dyhat_i f'(z_i) for an element-wise output activation, simplified
    where it cancels (sigmoid with binary cross-entropy: yhat - y)."""
    from .derive import _tex_tidy, derive

    sp = _sp()
    Z, YH, YT, C, _ = _symbols(sp)
    act = make_activation(activation, act_param)
    lo = make_loss(loss, loss_param)
    dv = derive(activation, act_param, loss, loss_param)
    f = _formula(sp, act, Z)
    on_z = {YH: f}
    true = sp.diff(lo.sympy(sp, f, YT, C), Z)
    if act.output_form:
        fp = act.fprime_of_output(sp, YH)
        fp_tex = _tex_tidy(sp, fp, (YH, YT), {})
    else:
        fp = _read(sp, dv["fprime_expr"])
        fp_tex = dv["fprime"]
    g = _read(sp, dv["dE_expr"])
    steps = [
        Step(r"\frac{\partial @L}{\partial YH}\, \frac{\partial YH}{\partial ZZ}",
             sp.diff(lo.sympy(sp, YH, YT, C), YH).subs(on_z) * sp.diff(f, Z),
             rf"the chain rule: $YH = {act.tex}(ZZ)$ depends on $ZZ$ alone"),
        Step(_product(dv["dE"], fp_tex), (g * fp).subs(on_z),
             rf"$\partial @L / \partial YH$ and ${act.tex}'$" + (" written in its output" if act.output_form else "")),
    ]
    if (activation, loss) == ("sigmoid", "binary_cross_entropy"):
        steps = [steps[0],
                 Step(r"-\left(\frac{YT}{YH} - \frac{1 - YT}{1 - YH}\right) YH \left(1 - YH\right)",
                      (-(YT / YH - (1 - YT) / (1 - YH)) * YH * (1 - YH)).subs(on_z),
                      r"$\partial @L / \partial YH$ and $\sigma' = \sigma (1 - \sigma)$"),
                 Step(r"-YT \left(1 - YH\right) + \left(1 - YT\right) YH",
                      (-YT * (1 - YH) + (1 - YT) * YH).subs(on_z), "multiplied out"),
                 Step(r"YH - YT", (YH - YT).subs(on_z), r"the terms $YT\, YH$ cancel")]
    delta = _read(sp, dv["delta_expr"]).subs(on_z)
    if steps[-1].tex != dv["delta"]:
        steps.append(Step(dv["delta"], delta, "simplified" if dv["delta_simplified"] else "as one expression"))
    title = f"The error at the output layer: {_words(activation)} with {_words(loss)}"
    return Derivation("output_delta", title, [
        "The output unit applies its activation to its pre-activation; the loss of one sample:",
        Definition(rf"YH = {act.tex}(ZZ), \qquad @L = " + dv["E"]),
        r"Only $YH$ depends on $ZZ$ (the activation works unit by unit), so:",
        Chain(r"\frac{\partial @L}{\partial ZZ}", true, steps),
    ], {"per_unit": True})


def _product(a, b):
    """TeX of the product a b, each bracketed where it is a sum."""
    from .derive import _wrap
    if b == "1":
        return a
    return _wrap(a) + r" \, " + (b if b.startswith(r"\begin") else _wrap(b))


# ---------------------------------------------------------------------------------------
# the network: index form, shapes, dead ReLU units


def _net(sp, sizes, biases=True):
    """A small network of symbols with undefined activations phi_l and an undefined loss
    E of the output pre-activations: z[l], a[l], W[l], delta(l, j)."""
    L = len(sizes) - 1
    x = sp.symbols(f"x0:{sizes[0]}")
    W = {l: sp.Matrix(sizes[l], sizes[l - 1], lambda j, i: sp.Symbol(f"W{l}_{j}{i}")) for l in range(1, L + 1)}
    b = {l: [sp.Symbol(f"b{l}_{j}") if biases else 0 for j in range(sizes[l])] for l in range(1, L + 1)}
    phi = {l: sp.Function(f"phi{l}") for l in range(1, L + 1)}
    E = sp.Function("E")

    def forward(l0, z0):
        """The loss with the pre-activations of layer l0 replaced by z0."""
        z = list(z0)
        for l in range(l0 + 1, L + 1):
            a = [phi[l - 1](v) for v in z]
            z = [sum(W[l][j, m] * a[m] for m in range(sizes[l - 1])) + b[l][j] for j in range(sizes[l])]
        return E(*z)

    z, a = {}, {0: list(x)}
    for l in range(1, L + 1):
        z[l] = [sum(W[l][j, m] * a[l - 1][m] for m in range(sizes[l - 1])) + b[l][j] for j in range(sizes[l])]
        a[l] = [phi[l](v) for v in z[l]]
    loss = E(*z[L])

    def delta(l, j):
        zeta = sp.symbols(f"zeta0:{sizes[l]}")
        return sp.diff(forward(l, zeta), zeta[j]).subs(dict(zip(zeta, z[l])))

    def fprime(l, j):
        u = sp.Dummy("u")
        return sp.diff(phi[l](u), u).subs(u, z[l][j])

    return {"L": L, "sizes": sizes, "W": W, "b": b, "z": z, "a": a, "loss": loss, "delta": delta,
            "fprime": fprime, "phi": phi}


def index_form(sizes=None, activations=None, biases=True):
    """The gradients and the backward pass unit by unit: general (``sizes`` None) or for
    a network of these sizes (and activations, a list of (name, option)); JSON data."""
    key = {"d": "index_form", "sizes": sizes, "activations": activations, "biases": bool(biases)}
    return cached(key, lambda: _index_form(sizes, activations, biases))


def _fname(activations, l):
    """How f_l' is written: the activation's own name when known."""
    if activations is None:
        return "f"
    return ACTIVATIONS[activations[l - 1][0]].tex


def _index_form(sizes, activations, biases):
    sp = _sp()
    general = sizes is None or len(sizes) > 4
    check_sizes = [3, 3, 2] if general else [min(n, CHECK_UNITS) for n in sizes]
    net = _net(sp, check_sizes, biases)
    L = net["L"]
    bias = (lambda l, j: rf" + @b{{{l}}}{{{j}}}") if biases else (lambda l, j: "")

    def w_chain(l, label, lower, upper_prev, fname):
        """dE/dW^(l)_{j,i} = delta_j a_i, checked on layer l of the network."""
        insts = [{"l": l, "j": j, "i": i} for j in range(min(2, check_sizes[l]))
                 for i in range(min(2, check_sizes[l - 1]))]
        return Chain(rf"\frac{{\partial @L}}{{\partial @W{{{label}}}{{j,i}}}}",
                     lambda I: sp.diff(net["loss"], net["W"][I["l"]][I["j"], I["i"]]), [
            Step(rf"\frac{{\partial @L}}{{\partial @pre{{{label}}}{{j}}}}\, "
                 rf"\frac{{\partial @pre{{{label}}}{{j}}}}{{\partial @W{{{label}}}{{j,i}}}}",
                 lambda I: net["delta"](I["l"], I["j"]) * sp.diff(net["z"][I["l"]][I["j"]], net["W"][I["l"]][I["j"], I["i"]]),
                 rf"the chain rule: $@W{{{label}}}{{j,i}}$ enters $@pre{{{label}}}{{j}}$ only"),
            Step(rf"@d{{{label}}}{{j}}\, \frac{{\partial}}{{\partial @W{{{label}}}{{j,i}}}} "
                 rf"\Big(\sum_{{m=1}}^{{{upper_prev}}} @W{{{label}}}{{j,m}}\, @act{{{lower}}}{{m}}{bias(label, 'j')}\Big)",
                 lambda I: net["delta"](I["l"], I["j"]) * sp.diff(net["z"][I["l"]][I["j"]], net["W"][I["l"]][I["j"], I["i"]]),
                 rf"$@d{{{label}}}{{j}} = \partial @L / \partial @pre{{{label}}}{{j}}$"),
            Step(rf"@d{{{label}}}{{j}}\, @act{{{lower}}}{{i}}",
                 lambda I: net["delta"](I["l"], I["j"]) * net["a"][I["l"] - 1][I["i"]],
                 r"only the term $m = i$ holds it"),
        ], insts)

    def d_chain(l, label, upper, next_label, fname, one):
        """delta^(l)_j = sum_k delta^(l+1)_k W^(l+1)_{k,j} f'(z_j), checked on layer l."""
        insts = [{"l": l, "j": j} for j in range(min(2, check_sizes[l]))]
        nxt = lambda I: range(check_sizes[I["l"] + 1])  # noqa: E731

        def inner(I):
            zeta = sp.Dummy("zeta")
            return lambda k: sp.diff(sum(net["W"][I["l"] + 1][k, m] * (net["phi"][I["l"]](zeta) if m == I["j"]
                                                                      else net["a"][I["l"]][m])
                                         for m in range(check_sizes[I["l"]])), zeta).subs(zeta, net["z"][I["l"]][I["j"]])

        steps = [
            Step(rf"\sum_{{k=1}}^{{{upper}}} \frac{{\partial @L}}{{\partial @pre{{{next_label}}}{{k}}}}\, "
                 rf"\frac{{\partial @pre{{{next_label}}}{{k}}}}{{\partial @pre{{{label}}}{{j}}}}",
                 lambda I: sum(net["delta"](I["l"] + 1, k) * inner(I)(k) for k in nxt(I)),
                 rf"the chain rule over the units of layer ${next_label}$"),
            Step(rf"\sum_{{k=1}}^{{{upper}}} @d{{{next_label}}}{{k}}\, \frac{{\partial}}{{\partial @pre{{{label}}}{{j}}}} "
                 rf"\Big(\sum_{{m}} @W{{{next_label}}}{{k,m}}\, {fname}\big(@pre{{{label}}}{{m}}\big){bias(next_label, 'k')}\Big)",
                 lambda I: sum(net["delta"](I["l"] + 1, k) * inner(I)(k) for k in nxt(I)),
                 rf"$@act{{{label}}}{{m}} = {fname}(@pre{{{label}}}{{m}})$"),
            Step(rf"\sum_{{k=1}}^{{{upper}}} @d{{{next_label}}}{{k}}\, @W{{{next_label}}}{{k,j}}\, {fname}'\big(@pre{{{label}}}{{j}}\big)",
                 lambda I: sum(net["delta"](I["l"] + 1, k) * net["W"][I["l"] + 1][k, I["j"]] for k in nxt(I))
                 * net["fprime"](I["l"], I["j"]),
                 r"only the term $m = j$ holds it"),
        ]
        if one:
            steps.append(Step(rf"@d{{{next_label}}}{{1}}\, @W{{{next_label}}}{{1,j}}\, {fname}'\big(@pre{{{label}}}{{j}}\big)",
                              lambda I: net["delta"](I["l"] + 1, 0) * net["W"][I["l"] + 1][0, I["j"]]
                              * net["fprime"](I["l"], I["j"]),
                              rf"layer ${next_label}$ has one unit"))
        return Chain(rf"@d{{{label}}}{{j}} = \frac{{\partial @L}}{{\partial @pre{{{label}}}{{j}}}}",
                     lambda I: net["delta"](I["l"], I["j"]), steps, insts)

    parts = []
    if general:
        parts += [r"For a weight of layer $k$ (from unit $i$ of layer $k-1$ to unit $j$ of layer $k$), "
                  r"with $n_{k}$ the units of layer $k$:",
                  w_chain(L, "k", "k-1", "n_{k-1}", "f"),
                  "The error of unit $j$ of a hidden layer $k$, through the units of layer $k+1$:",
                  d_chain(1, "k", "n_{k+1}", "k+1", "f_{k}", False),
                  "Written for whole layers, the same formulas are the matrix forms of the backward pass:",
                  Definition(r"@gW{k} = @outer{k}, \qquad "
                             r"@dm{k} = \big(@WTd{k+1}\big) @had f_{k}'\big(@zm{k}\big)")]
        return Derivation("index_form", "The gradients, unit by unit", parts)
    n = sizes
    for l in range(L, 0, -1):
        parts.append(f"The weights into layer {l} (from unit $i$ of layer {l - 1} to unit $j$ of layer {l}"
                     + (", the output layer" if l == L else "") + "):")
        parts.append(w_chain(l, str(l), str(l - 1), str(n[l - 1]), _fname(activations, l)))
        if l > 1:
            parts.append(f"The error of unit $j$ of layer {l - 1}, through the units of layer {l}:")
            parts.append(d_chain(l - 1, str(l - 1), str(n[l]), str(l), _fname(activations, l - 1), n[l] == 1))
    if L >= 2 and n[L] == 1:
        f1 = _fname(activations, L - 1)
        parts += ["Together, for the weights into layer " + str(L - 1) + ":",
                  Chain(rf"\frac{{\partial @L}}{{\partial @W{{{L - 1}}}{{j,i}}}}",
                        lambda I: sp.diff(net["loss"], net["W"][L - 1][I["j"], I["i"]]), [
                      Step(rf"@d{{{L}}}{{1}}\, @W{{{L}}}{{1,j}}\, {f1}'\big(@pre{{{L - 1}}}{{j}}\big)\, @act{{{L - 2}}}{{i}}",
                           lambda I: net["delta"](L, 0) * net["W"][L][0, I["j"]] * net["fprime"](L - 1, I["j"])
                           * net["a"][L - 2][I["i"]],
                           "the two results above"),
                  ], [{"j": j, "i": i} for j in range(min(2, check_sizes[L - 1])) for i in range(min(2, check_sizes[L - 2]))])]
    return Derivation("index_form", "The gradients, unit by unit", parts)


def dimensions(sizes=None, biases=True):
    """The shape of every gradient, checked against its parameter's with SymPy's matrix
    shapes; general (``sizes`` None) or for these sizes; without the biases' rows for a
    network without biases. JSON data."""
    key = {"d": "dimensions", "sizes": sizes, **({} if biases else {"biases": False})}
    return cached(key, lambda: _dimensions(sizes, biases))


def _dimensions(sizes, biases=True):
    sp = _sp()

    def shape_fact(label, n_l, n_prev):
        def holds(I):
            d = sp.MatrixSymbol("d", I["n"], 1)
            a = sp.MatrixSymbol("a", I["p"], 1)
            W = sp.MatrixSymbol("W", I["n"], I["p"])
            b = sp.MatrixSymbol("b", I["n"], 1)
            return (d * a.T).shape == W.shape and (d.shape == b.shape or not biases)

        nl, npv = (sp.Symbol(n_l) if isinstance(n_l, str) else n_l), (sp.Symbol(n_prev) if isinstance(n_prev, str) else n_prev)
        rows = [
            {"lhs": rf"@gW{{{label}}}", "rel": "=",
             "rhs": rf"@outer{{{label}}} \in \mathbb{{R}}^{{@shape{{{n_l}}}{{{n_prev}}}}}",
             "why": rf"$@outerdims{{{n_l}}}{{{n_prev}}}$: the shape of $@Wm{{{label}}}$"},
            {"lhs": rf"@gb{{{label}}}", "rel": "=", "rhs": rf"@dm{{{label}}} \in \mathbb{{R}}^{{{n_l} \times 1}}",
             "why": rf"the shape of $@bm{{{label}}}$"},
        ][:2 if biases else 1]
        return Fact(rows, holds, [{"n": nl, "p": npv}], what=f"the shapes of layer {label}")

    if sizes is None:
        return Derivation("dimensions", "The shapes of the gradients", [
            r"With $n_{k}$ units in layer $k$, the error $@dm{k}$ is a column of $n_{k}$ numbers "
            r"($n_{k} \times 1$) and the layer's input $@am{k-1}$ one of $n_{k-1}$; so",
            shape_fact("k", "n_{k}", "n_{k-1}"),
            r"each gradient has the shape of its parameter, as it must for the update "
            r"$@Wm{k} - \eta\, @gW{k}$. With a batch, $@dm{k}$ and $@am{k-1}$ have one column per "
            r"sample and the product sums over them: the shapes are the same.",
        ])
    parts = ["The error of a layer has one entry per unit, its input one per unit of the layer before:"]
    for l in range(1, len(sizes)):
        parts.append(shape_fact(str(l), sizes[l], sizes[l - 1]))
    parts.append(r"Each gradient has the shape of its parameter, as the update $@Wm{k} - \eta\, @gW{k}$ needs.")
    return Derivation("dimensions", "The shapes of the gradients", parts)


def dead_relu():
    """What ReLU's derivative does to the backward pass: delta_j = 0 where z_j <= 0, and
    with it the gradient of the unit's weights. JSON data."""
    return cached({"d": "dead_relu"}, _dead_relu)


def _dead_relu():
    from .derive import derive

    sp = _sp()
    Z = _symbols(sp)[0]
    relu = make_activation("relu")
    fprime = _read(sp, derive("relu", None, "squared_error")["fprime_expr"])
    s, a = sp.symbols("s a")
    engine0 = float(np.asarray(relu.derivative(np.zeros(1), np.zeros(1)))[0])
    # z <= 0: a negative pre-activation, and the kink itself (where the convention decides)
    insts = [{"z": sp.Symbol("zneg", negative=True)}, {"z": sp.Integer(0)}]
    R = r"\operatorname{ReLU}"
    return Derivation("dead_relu", "ReLU units that pass no error back", [
        rf"ReLU is $\max(0, ZZ)$, so ${R}'(ZZ) = 1$ for $ZZ > 0$ and $0$ for $ZZ < 0$; at $ZZ = 0$ "
        rf"the convention ${R}'(0) = 0$ is used. The error of unit $j$ of a ReLU layer $k$:",
        Chain(r"@d{k}{j}", lambda I: s * fprime.subs(Z, I["z"]), [
            Step(rf"\Big(\sum_{{m}} @W{{k+1}}{{m,j}}\, @d{{k+1}}{{m}}\Big)\, {R}'\big(@pre{{k}}{{j}}\big)",
                 lambda I: s * fprime.subs(Z, I["z"]), "the backward pass"),
            Step("0", sp.Integer(0), rf"if $@pre{{k}}{{j}} \le 0$: ${R}' = 0$"),
        ], insts),
        Fact([], lambda I: engine0 == 0.0, what="the engine's ReLU'(0) is 0"),
        "whatever the errors of the layer above. And with it every weight into the unit gets no gradient:",
        Chain(r"\frac{\partial @L}{\partial @W{k}{j,i}}", s * a, [
            Step(r"@d{k}{j}\, @act{k-1}{i}", s * a, "the gradient of a weight"),
            Step("0", sp.Integer(0), r"$@d{k}{j} = 0$", given=lambda I: {s: 0}),
        ]),
        "So a unit whose pre-activation is at most 0 blocks the error: nothing flows back through it to the "
        "layers below, and its row of $@gW{k}$ (and its entry of $@gb{k}$) is 0. A unit with "
        "$@pre{k}{j} \\le 0$ for every sample never changes again: a dead ReLU unit. Only active units "
        "($@pre{k}{j} > 0$) pass the error on.",
    ], {"arg": True})


# ---------------------------------------------------------------------------------------
# a loss over N samples


def batch_chain_rule(loss, loss_param=None, reduction="mean"):
    """dE/dw for E the mean (or sum) of per-sample losses E_k of outputs y_k(w). JSON data."""
    key = {"d": "batch_chain_rule", "loss": loss, "loss_param": loss_param, "reduction": reduction}
    return cached(key, lambda: _batch(loss, loss_param, reduction, linear=False))


def linear_model_gradient(loss, loss_param=None, reduction="mean"):
    """dE/dw_i for a linear model y_k = sum_i w_i x_i^(k) and a loss over N samples. JSON data."""
    key = {"d": "linear_model_gradient", "loss": loss, "loss_param": loss_param, "reduction": reduction}
    return cached(key, lambda: _batch(loss, loss_param, reduction, linear=True))


def _batch(loss, loss_param, reduction, linear):
    from .derive import derive

    sp = _sp()
    lo = make_loss(loss, loss_param)
    dv = derive("linear", None, loss, loss_param)
    mean = reduction == "mean"
    w_ = sp.Symbol("w")

    def inst(N, d=None, i=None):
        t = sp.symbols(f"t0:{N}")
        if linear:
            w = sp.symbols(f"w0:{d}")
            x = [[sp.Symbol(f"x{k}_{m}") for m in range(d)] for k in range(N)]
            y = [sum(w[m] * x[k][m] for m in range(d)) for k in range(N)]
            var = w[i]
        else:
            y = [sp.Function(f"y{k}")(w_) for k in range(N)]
            var, x = w_, None
        Y = sp.Symbol("Yk", positive=True)
        T = sp.Symbol("Tk")
        g = sp.diff(lo.sympy(sp, Y, T, sp.Integer(1)), Y)
        Ek = [lo.sympy(sp, y[k], t[k], sp.Integer(1)) for k in range(N)]
        E = (sum(Ek) / N) if mean else sum(Ek)
        return {"N": N, "i": i, "x": x, "y": y, "t": t, "var": var, "E": E,
                "g": [g.subs({Y: y[k], T: t[k]}) for k in range(N)], "w": 1 / sp.Integer(N) if mean else 1}

    if linear:
        insts = [inst(N, d, i) for N in (2, 3) for d in (2, 3) for i in range(d)]
    else:
        insts = [inst(N) for N in (2, 3)]
    # written for sample k: a bare YH is y-hat_k (the derivation's unit is k)
    Ek = sp.latex(lo.sympy(sp, sp.Symbol("YH"), sp.Symbol("YT"), sp.Integer(1)), ln_notation=True)
    gk = dv["dE"]
    N_ = r"\frac{1}{N}" if mean else ""
    dEdEk = r"\frac{1}{N}" if mean else "1"
    wvar = "w_i" if linear else r"\mathbf{w}"
    dy = (r"\frac{\partial}{\partial w_i} \Big(\sum_{i'=1}^{d} w_{i'}\, x^{(k)}_{i'}\Big)" if linear
          else r"\frac{\partial YH_k}{\partial \mathbf{w}}")
    steps = [
        Step(rf"\sum_{{k=1}}^{{N}} \frac{{\partial @L}}{{\partial @L_k}}\, \frac{{\partial @L_k}}{{\partial YH_k}}\, "
             rf"\frac{{\partial YH_k}}{{\partial {wvar}}}",
             lambda I: sum(I["w"] * I["g"][k] * sp.diff(I["y"][k], I["var"]) for k in range(I["N"])),
             rf"the chain rule: ${wvar}$ enters $@L$ through every $YH_k$"),
        Step(rf"\sum_{{k=1}}^{{N}} {dEdEk} \cdot {_wrap_sum(gk)} \cdot {dy}",
             lambda I: sum(I["w"] * I["g"][k] * sp.diff(I["y"][k], I["var"]) for k in range(I["N"])),
             rf"$\partial @L / \partial @L_k = {dEdEk}$ and the gradient of the loss"),
    ]
    if linear:
        steps.append(Step(rf"{N_} \sum_{{k=1}}^{{N}} {_wrap_sum(gk)}\, x^{{(k)}}_{{i}}",
                          lambda I: sum(I["w"] * I["g"][k] * I["x"][k][I["i"]] for k in range(I["N"])),
                          r"only the term $i' = i$ holds $w_i$"))
    what = "mean" if mean else "sum"
    parts = [f"The loss is the {what} of the losses of the $N$ samples, each a function of the "
             "sample's output $YH_k$, which depends on the parameters:",
             Definition(rf"@L = {N_} \sum_{{k=1}}^{{N}} @L_k, \qquad @L_k = {Ek}"
                        + (r", \qquad YH_k = \sum_{i=1}^{d} w_i\, x^{(k)}_{i}" if linear else ""))]
    title = ("The gradient of a linear model's loss over N samples" if linear
             else "The chain rule over N samples")
    parts.append(Chain(rf"\frac{{\partial @L}}{{\partial {wvar}}}", lambda I: sp.diff(I["E"], I["var"]), steps, insts))
    return Derivation("linear_model_gradient" if linear else "batch_chain_rule", title, parts, {"unit": "k"})


def _wrap_sum(t):
    from .derive import _wrap
    return _wrap(t)


# ---------------------------------------------------------------------------------------
# dead units in a trace (no SymPy)


def dead_units(trace):
    """[(update index, layer, [units])]: ReLU units of a hidden or output layer whose
    pre-activation is <= 0 for every sample of the update, so their delta and their row
    of the weight gradient are 0 (units counted from 1)."""
    out = []
    p = trace.problem
    for u in trace.updates:
        for l, ((name, _), s) in enumerate(zip(p.activations, u.layers), start=1):
            if name != "relu":
                continue
            z = np.asarray(s.z, dtype=float)
            dead = [j + 1 for j in range(z.shape[0]) if (z[j] <= 0).all()]
            if dead:
                out.append((u.index, l, dead))
    return out


# ---------------------------------------------------------------------------------------
# problem files that ask for derivations (the ``derive`` key; no numbers needed)

#: the keys of a derivation problem file (docs/problem-format.md, "Derivations")
TOP_KEYS = ("title", "description", "derive", "network", "loss", "learning_rate", "display")
NETWORK_KEYS = ("sizes", "activation", "biases")
DISPLAY_KEYS = ("notation",)


@dataclass
class DerivationProblem:
    """A checked problem file that asks for derivations alone: ``asks`` holds one
    (name, options) per derivation, the options filled in from ``network`` and ``loss``
    (activation and loss as (name, option value), reduction)."""
    file: str
    name: str
    title: str
    description: str
    asks: list
    sizes: list = None
    activations: list = None
    biases: bool = True
    loss: tuple = None
    notation: str = "default"

    def to_dict(self):
        """The problem as a mapping of the file's format, every default filled in."""
        def named(table, pair):
            name, param = pair
            option = table[name].option
            return name if option is None else {name: {option[0]: param}}

        asks = []
        for name, opts in self.asks:
            o = {k: named(ACTIVATIONS if k == "activation" else LOSSES, v) if k in ("activation", "loss") else v
                 for k, v in opts.items()}
            asks.append({name: o} if o else name)
        out = {"title": self.title, "description": self.description, "derive": asks}
        if self.sizes is not None or self.activations is not None or not self.biases:
            net = {"sizes": self.sizes} if self.sizes is not None else {}
            if self.activations is not None:
                net["activation"] = [named(ACTIVATIONS, a) for a in self.activations]
            if not self.biases:
                net["biases"] = None
            out["network"] = net
        if self.loss is not None:
            out["loss"] = named(LOSSES, self.loss)
        out["display"] = {"notation": self.notation}
        return out


def is_derivation(data):
    """A problem mapping that asks for derivations alone: a ``derive`` key and no ``data``
    (with ``data`` it is a layered problem with numbers)."""
    return isinstance(data, dict) and "derive" in data and "data" not in data and "graph" not in data


def parse(data, file="<problem>"):
    """Check a derivation problem mapping (InputError naming the key if it is bad)."""
    from pathlib import Path

    from .spec import NOTATIONS, Checker, LOG_LOSSES, _activations, _named, default_title, kind_of

    c = Checker(file)
    c.keys(data, "", TOP_KEYS, required=("derive",))
    sizes = activations = None
    biases = True
    net = data.get("network")
    if net is not None:
        c.keys(net, "network", NETWORK_KEYS)
        if "sizes" in net:
            sizes = net["sizes"]
            if not isinstance(sizes, list) or len(sizes) < 2:
                c.fail("network.sizes", f"expected a list of at least two layer sizes, input first "
                                        f"(e.g. [5, 3, 2]), got {kind_of(sizes)}")
            if len(sizes) > 51:
                c.fail("network.sizes", f"expected at most 50 computing layers, got {len(sizes) - 1}")
            sizes = [c.whole(s, f"network.sizes[{i}]", 1, 100_000) for i, s in enumerate(sizes)]
        if "activation" in net:
            spec_ = net["activation"]
            if sizes is None:
                L = len(spec_) if isinstance(spec_, list) else 1
                activations = _activations(c, spec_, L, [2] * (L + 1))
            else:
                activations = _activations(c, spec_, len(sizes) - 1, sizes)
        biases = net.get("biases", 0) not in (None, "none")
    loss = _named(c, data["loss"], "loss", LOSSES, "loss") if "loss" in data else None
    if "learning_rate" in data:  # allowed (the file may describe the exercise), not used
        c.number(data["learning_rate"], "learning_rate", positive=True)
    display = data.get("display") or {}
    c.keys(display, "display", DISPLAY_KEYS)
    notation = c.choice(display.get("notation", "default"), "display.notation", list(NOTATIONS))

    items = data["derive"]
    if not isinstance(items, list):
        items = [items]
    if not items:
        c.fail("derive", "expected at least one derivation, e.g. derive: [output_delta]")
    asks = []
    for k, item in enumerate(items):
        key = f"derive[{k}]"
        if isinstance(item, dict):
            if len(item) != 1:
                c.fail(key, "expected one derivation name, e.g. {activation_derivative: tanh}")
            (name, value), = item.items()
        else:
            name, value = item, None
        c.choice(name, key, list(NAMES))
        key = f"{key}.{name}"
        asks += _options(c, key, name, value, activations, loss, LOG_LOSSES, _named)
    return DerivationProblem(
        file=str(file), name=Path(str(file)).stem, title=c.text(data.get("title", default_title(file)), "title"),
        description=c.text(data.get("description", ""), "description"), asks=asks, sizes=sizes,
        activations=activations, biases=biases, loss=loss, notation=notation)


def _options(c, key, name, value, activations, loss, log_losses, named):
    """[(name, options)] for one item of ``derive``: its options checked, the missing ones
    taken from the file's network and loss (every activation of the network for an
    activation_derivative without one)."""
    allowed = OPTIONS[name]
    if value is None:
        value = {}
    elif len(allowed) == 1 and not (isinstance(value, dict) and set(value) <= set(allowed)):
        value = {allowed[0]: value}  # activation_derivative: tanh
    if not isinstance(value, dict):
        c.fail(key, f"expected the options {', '.join(allowed) or '(none)'} as a mapping")
    c.keys(value, key, allowed)
    opts = {}
    for o in allowed:
        if o == "reduction":
            opts[o] = c.choice(value.get(o, "mean"), f"{key}.{o}", ["mean", "sum"])
        elif o in value:
            table = ACTIVATIONS if o == "activation" else LOSSES
            opts[o] = named(c, value[o], f"{key}.{o}", table, o)
        elif o == "loss":
            if loss is None:
                c.fail(key, f"name the loss ({name}: {{loss: cross_entropy}}) or give the file's loss")
            opts[o] = loss
        elif o == "activation" and name == "activation_derivative":
            if activations is None:
                c.fail(key, "name the activation (activation_derivative: tanh) or give network.activation")
            seen = []
            for a in activations:
                if a not in seen:
                    seen.append(a)
            return [(name, {"activation": a}) for a in seen]
        else:  # output_delta: the output layer's activation
            if activations is None:
                c.fail(key, f"name the output activation ({name}: {{activation: softmax}}) "
                            "or give network.activation")
            opts[o] = activations[-1]
    if name == "output_delta":
        (act, _), (lo, _) = opts["activation"], opts["loss"]
        if lo in log_losses and act not in ("sigmoid", "softmax"):
            c.fail(key, f"{lo} takes logarithms of the outputs, which must lie in (0, 1); "
                        f"the output activation is {act}: use sigmoid or softmax")
    return [(name, opts)]


def summary(p):
    """One line about a derivation problem, for ``backprop check``."""
    return "derivations: " + ", ".join(name for name, _ in p.asks)


def build(p, onehot=True):
    """Every derivation a derivation problem asks for, checked: JSON data, in order."""
    out = []
    for name, o in p.asks:
        if name == "activation_derivative":
            out.append(activation_derivative(*o["activation"]))
        elif name == "loss_derivative":
            out.append(loss_derivative(*o["loss"]))
        elif name == "output_delta":
            out.append(output_delta(*o["activation"], *o["loss"], onehot=onehot))
        elif name == "index_form":
            out.append(index_form(p.sizes, p.activations if p.sizes else None, p.biases))
        elif name == "dimensions":
            out.append(dimensions(p.sizes))
        elif name == "dead_relu":
            out.append(dead_relu())
        elif name == "batch_chain_rule":
            out.append(batch_chain_rule(*o["loss"], o["reduction"]))
        elif name == "linear_model_gradient":
            out.append(linear_model_gradient(*o["loss"], o["reduction"]))
    return out


def context(p):
    """What the documents need to fill in the tokens for this problem (document.derivation)."""
    if p.sizes is None:
        return {}
    return {"out_layer": str(len(p.sizes) - 1), "one_output": p.sizes[-1] == 1}


def to_json(p, derivations):
    """What ``backprop trace`` prints for a derivation problem: no numbers, the steps."""
    from .document import derivation
    from .document.notation import Notation

    n = Notation(p.notation)
    return {"format": 1, "problem": p.to_dict(), "numbers": None,
            "derivations": [derivation.steps_json(d, n, context(p)) for d in derivations]}
