"""A layered problem written as a graph problem (``--as-graph``): its first update as equations.

Every activation and loss is written as the registry says (solver.functions:
``graph_layer``, ``graph_loss``), so this module knows none of them by name.
"""

from ..errors import InputError
from ..functions import make_activation, make_loss


#: what the names of the weights mean, added to the description (whose formulas between $
#: signs the document typesets: w^(1)_{j,i}); {bias} is the bias term or nothing
WEIGHTS_NAMED = ("In the equations $w1_j_i$ is the weight into unit $j$ of layer 1 from unit $i$ of the "
                 "layer before (row $j$, column $i$ of the problem file's matrix), and so in every layer: "
                 "$z1_j = Sum(w1_j_i*x_i, i){bias}$.")


def from_layered(problem, sample=0):
    """A layered problem's first sample as a graph problem mapping (parse it with ``parse``).

    Units z{l}_{j} = sum_i w{l}_{j}_{i} a{l-1}_{i} + b{l}_{j} and a{l}_{j} = f(z{l}_{j}),
    inputs x{i}, targets t{j}, the loss as in the layered format (plus the penalty).
    Biases that are not trained (``train_biases: false``) keep their derivative, as the
    engine's grad_b, and are ``frozen``: the update leaves them.

    >>> from backprop_solver.spec import load as load_layered
    >>> d = from_layered(load_layered("problems/seed001_q1_sigmoid_sgd.yaml"))
    >>> d["graph"]["define"]["z1_1"]
    'w1_1_1*x1 + w1_1_2*x2 + w1_1_3*x3 + w1_1_4*x4 + w1_1_5*x5 + b1_1'
    """
    p = problem
    acts = [make_activation(name, param) for name, param in p.activations]
    for act in acts:
        try:
            act.graph_layer(["z"])
        except NotImplementedError:
            raise InputError(p.file, "network.activation", f"the graph path does not know the "
                                                           f"activation {act.name}; leave out --as-graph") from None
    x = p.X[:, sample]
    y = p.Y[:, sample]
    inputs = {f"x{i + 1}": float(v) for i, v in enumerate(x)}
    targets = {f"t{j + 1}": float(v) for j, v in enumerate(y)}
    params, define, train, frozen = {}, {}, [], []
    prev = list(inputs)
    for l in range(1, p.L + 1):
        W = p.weights[l - 1]
        zs = []
        for j in range(p.sizes[l]):
            terms = []
            for i in range(p.sizes[l - 1]):
                w = f"w{l}_{j + 1}_{i + 1}"
                params[w] = float(W[j, i])
                train.append(w)
                terms.append(f"{w}*{prev[i]}")
            if p.biases is not None:
                b = f"b{l}_{j + 1}"
                params[b] = float(p.biases[l - 1][j])
                terms.append(b)
                train.append(b)
                if not p.train_biases:
                    frozen.append(b)
            define[f"z{l}_{j + 1}"] = " + ".join(terms)
            zs.append(f"z{l}_{j + 1}")
        for j, f in enumerate(acts[l - 1].graph_layer(zs)):
            define[f"a{l}_{j + 1}"] = f
        prev = [f"a{l}_{j + 1}" for j in range(p.sizes[l])]
    pairs = list(zip(prev, targets))
    try:
        loss = make_loss(p.loss, getattr(p, "loss_param", None)).graph_loss(pairs)
    except NotImplementedError:
        raise InputError(p.file, "loss", f"the graph path does not know the loss {p.loss}; "
                                         f"leave out --as-graph") from None
    weights = [w for w in params if w.startswith("w")]
    if p.l2:
        loss += f" + {p.l2 / 2!r}*(" + " + ".join(f"{w}**2" for w in weights) + ")"
    if p.l1:
        loss += f" + {p.l1!r}*(" + " + ".join(f"Abs({w})" for w in weights) + ")"
    first = " (as a graph, first update)" if p.X.shape[1] > 1 or p.steps > 1 else " (as a graph)"
    graph = {"inputs": inputs, "targets": targets, "parameters": params,
             "define": define, "loss": loss, "derivatives": train,
             "learning_rate": p.learning_rate}
    if frozen:
        graph["frozen"] = frozen
    named = WEIGHTS_NAMED.format(bias=" + b1_j" if p.biases is not None else "")
    return {"title": p.title + first, "description": f"{p.description} {named}".strip(), "graph": graph,
            "display": {"digits": p.digits}}
