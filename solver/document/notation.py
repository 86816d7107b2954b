"""Notation presets: the symbols a course writes for pre-activations, activations,
weights, deltas and the loss (``display.notation`` of a problem file). A preset changes
symbols and numbering, never numbers. Each symbol is TeX math.
"""

# ---------------------------------------------------------------------------------------
# notation presets


def _up(template, shift=0):
    """A function layer -> symbol; ``shift`` renumbers (-1: weights numbered from 0)."""
    def f(l):
        return "{" + template.replace("@", _shift(l, shift)) + "}"
    return f


def _shift(l, shift):
    """Layer label ``l`` (a number, or text such as 'k', 'k+1', 'L') moved by ``shift``."""
    if isinstance(l, int):
        return str(l + shift)
    if shift == 0:
        return l
    if l.endswith("+1"):
        return l[:-2]
    if l.endswith("-1"):
        return l[:-2] + "-2"
    return f"{l}-1"


#: symbol sets, keyed by the names in solver.spec.NOTATIONS; '@' stands for the layer,
#: '#' for the unit. A preset changes symbols (and numbering), never numbers.
PRESETS = {
    "default": {  # tilde-z (net input) and z (output), W^(l) numbered from 0
        "describe": "pre\u2010activations" r" $\tilde{\mathbf{z}}^{(k)}$, activations $\mathbf{z}^{(k)}$ "
                    r"with $\mathbf{z}^{(0)} = \mathbf{x}$, parameters $\mathbf{W}^{(l)}, \mathbf{b}^{(l)}$ "
                    r"numbered from 0 (layer $k$ uses $\mathbf{W}^{(k-1)}$)",
        "pre": r"\tilde{\mathbf{z}}^{(@)}", "act": r"\mathbf{z}^{(@)}", "W": r"\mathbf{W}^{(@)}",
        "b": r"\mathbf{b}^{(@)}", "delta": r"\boldsymbol{\delta}^{(@)}", "shift": -1,
        "pre_unit": r"\tilde{z}^{(@)}_{#}", "act_unit": r"z^{(@)}_{#}",
        "loss": r"\mathcal{L}", "had": r"\odot", "x": r"\mathbf{x}", "x_unit": "x_{#}",
        "yhat": r"\hat{\mathbf{y}}", "y": r"\mathbf{y}", "yhat_unit": r"\hat{y}_{#}",
        "y_unit": "y_{#}", "arg": "x", "eta": r"\eta", "layer": "k",
    },
    "bracket": {  # z^[l] (net input), x^[l] (output), w^[l] numbered from 1
        "describe": r"nets $z^{[\ell]}$, layer outputs $x^{[\ell]}$ with $x^{[0]}$ the input, "
                    r"parameters $w^{[\ell]}, b^{[\ell]}$ numbered from 1",
        "pre": r"z^{[@]}", "act": r"x^{[@]}", "W": r"w^{[@]}", "b": r"b^{[@]}",
        "delta": r"\delta^{[@]}", "shift": 0, "pre_unit": r"z^{[@]}_{#}", "act_unit": r"x^{[@]}_{#}",
        "loss": "E", "had": r"\circ", "x": r"x^{[0]}", "x_unit": r"x^{[0]}_{#}",
        "yhat": r"x^{[L]}", "y": "y", "yhat_unit": r"x^{[L]}_{#}", "y_unit": "y_{#}",
        "arg": "z", "eta": r"\eta", "layer": r"\ell",
    },
    "netout": {  # textbook style: net and out per unit
        "describe": r"net inputs $\mathit{net}^{(l)}$, outputs $\mathit{out}^{(l)}$ with "
                    r"$\mathit{out}^{(0)}$ the input, parameters $W^{(l)}, b^{(l)}$ numbered from 1",
        "pre": r"\mathit{net}^{(@)}", "act": r"\mathit{out}^{(@)}", "W": r"W^{(@)}",
        "b": r"b^{(@)}", "delta": r"\delta^{(@)}", "shift": 0,
        "pre_unit": r"\mathit{net}^{(@)}_{#}", "act_unit": r"\mathit{out}^{(@)}_{#}",
        "loss": r"E_{\mathrm{total}}", "had": r"\odot", "x": r"\mathit{out}^{(0)}",
        "x_unit": r"\mathit{out}^{(0)}_{#}", "yhat": r"\mathit{out}^{(L)}",
        "y": r"\mathit{target}", "yhat_unit": r"\mathit{out}^{(L)}_{#}",
        "y_unit": r"\mathit{target}_{#}", "arg": "x", "eta": r"\eta", "layer": "l",
    },
}


class Notation:
    """Symbol makers for one preset: ``n.W(2)``, ``n.act("l-1")``, ``n.yhat_unit("i")``."""

    def __init__(self, name):
        if name not in PRESETS:
            raise KeyError(name)
        self.name = name
        self.p = PRESETS[name]

    def __getattr__(self, key):
        p = self.__dict__["p"]
        if key not in p:
            raise AttributeError(key)
        if key in ("x", "y", "yhat", "loss"):
            return "{" + p[key] + "}"
        return p[key]

    def W(self, l):
        return _up(self.p["W"], self.p["shift"])(l)

    def b(self, l):
        return _up(self.p["b"], self.p["shift"])(l)

    def param_index(self, l):
        return _shift(l, self.p["shift"])

    def pre(self, l):
        return _up(self.p["pre"])(l)

    def act(self, l):
        return _up(self.p["act"])(l) if l not in (0, "0") else "{" + self.p["x"] + "}"

    def delta(self, l):
        return _up(self.p["delta"])(l)

    def unit(self, key, l, i):
        return self.p[key].replace("@", str(l)).replace("#", str(i))

    def grad(self, sym):
        if self.name == "bracket":
            return rf"\frac{{\partial E}}{{\partial {sym}}}"
        return rf"\nabla_{{{sym}}} {self.p['loss']}"

    def fill(self, tex, unit="i", out_layer="L", arg=False):
        """Replace the derivation tokens (see solver.derive) by this notation's symbols."""
        L = out_layer
        y = lambda i: self.p["y_unit"].replace("#", i)
        yh = lambda i: "{" + self.p["yhat_unit"].replace("#", i).replace("@", "L") + "}"
        z = lambda i: "{" + self.p["pre_unit"].replace("@", str(L)).replace("#", i) + "}"
        g = lambda i: rf"\frac{{\partial {self.p['loss']}}}{{\partial {yh(i)}}}"
        for k in ("k", "j", "i"):
            tex = (tex.replace(f"YH_{k}", yh(k)).replace(f"YT_{k}", "{" + y(k) + "}")
                   .replace(f"ZZ_{k}", z(k)).replace(f"GG_{k}", g(k)))
        tex = tex.replace("YH", yh(unit)).replace("YT", "{" + y(unit) + "}").replace("GG", g(unit))
        tex = tex.replace("ZZ", self.p["arg"] if arg else z(unit))
        return tex.replace("CC", "C")
