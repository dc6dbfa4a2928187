"""Writes higher_order.json: what torch.autograd.functional (jacobian, hessian, vjp, jvp, hvp) and
torch.autograd.grad with create_graph=True (second and third derivatives) give for a few small
functions in float64. Tests/AutogradTests/HigherOrderGoldenTests.swift defines the same functions
by name with the Swift API and compares. Deterministic: run again to write the same file.

Setup: pip install torch==2.11.0, then python3 Tests/Fixtures/make_higher_order_fixture.py
"""
import json
import os

import torch

assert torch.__version__.split("+")[0] == "2.11.0", f"written with torch 2.11.0, not {torch.__version__}"
torch.set_default_dtype(torch.float64)

W = torch.tensor([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5], [-0.25, 2.0, 1.0], [1.0, -0.5, 0.5]])

# Scalar functions (name -> f); the Swift test spells each with the same ops.
SCALAR = {
    "cubeSum": lambda x: (x * x * x).sum(),
    "expTimesX": lambda x: (x.exp() * x).sum(),
    "tanhMatmul": lambda x: torch.tanh(x.reshape(1, 4) @ W).pow(2).sum(),
    "logSoftmax": lambda x: torch.log_softmax(x.reshape(2, 2), dim=1).pow(2).mean(),
    "sigmoidDiv": lambda x: (torch.sigmoid(x) / (x * x + 1)).sum(),
}
# Vector functions.
VECTOR = {
    "square": lambda x: x * x,
    "tanhMatmul": lambda x: torch.tanh(x.reshape(1, 4) @ W).reshape(3),
    "softmax": lambda x: torch.softmax(x, dim=0),
}
X = torch.tensor([0.5, -1.25, 2.0, 0.75])
V_IN = torch.tensor([1.0, -0.5, 0.25, 2.0])
V_OUT = {"square": torch.tensor([0.5, 1.0, -1.0, 2.0]), "tanhMatmul": torch.tensor([1.0, -2.0, 0.5]),
         "softmax": torch.tensor([0.5, 1.0, -1.0, 2.0])}


def flat(t):
    return [float(v) for v in t.reshape(-1).tolist()]


cases = []
for name, f in SCALAR.items():
    x = X.clone().requires_grad_(True)
    y = f(x)
    (g1,) = torch.autograd.grad(y, x, create_graph=True)
    (g2,) = torch.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = torch.autograd.grad(g2.sum(), x)
    hess = torch.autograd.functional.hessian(f, X)
    _, hv = torch.autograd.functional.hvp(f, X, V_IN)
    cases.append({"function": name, "kind": "scalar", "x": flat(X), "v": flat(V_IN), "value": y.item(),
                  "grad": flat(g1), "grad2OfSum": flat(g2), "grad3OfSum": flat(g3),
                  "hessian": flat(hess), "hessianShape": list(hess.shape), "hvp": flat(hv)})
for name, f in VECTOR.items():
    jac = torch.autograd.functional.jacobian(f, X)
    out, vj = torch.autograd.functional.vjp(f, X, V_OUT[name])
    _, jv = torch.autograd.functional.jvp(f, X, V_IN)
    cases.append({"function": name, "kind": "vector", "x": flat(X), "v": flat(V_IN), "u": flat(V_OUT[name]),
                  "output": flat(out), "jacobian": flat(jac), "jacobianShape": list(jac.shape),
                  "vjp": flat(vj), "jvp": flat(jv)})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "higher_order.json")
with open(path, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
print(f"wrote {len(cases)} cases to {path}")
