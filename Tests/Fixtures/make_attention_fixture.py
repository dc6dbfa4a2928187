"""Writes attention.json: scaled dot-product attention, nn.MultiheadAttention and linear of any
rank (API.md Part two, issue 18) run by PyTorch 2.11.0 on the CPU, in float32 and float64:
values, grad_fn names and gradients, and the messages of what PyTorch refuses.

`sdpa` cases: `F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)` with
shapes that take PyTorch's fused CPU kernel (4-D, equal batch and heads, E == Ev) and shapes that
take its math path (3-D, 5-D, 2-D, broadcast batch dimensions, Ev != E, a transposed query),
boolean masks (`true` = may attend) broadcast from fewer dimensions, rows that may attend
nowhere (PyTorch gives zeros), causal with L < S and L > S, inputs of which only some require
grad. `transposedQuery`: the query leaf is `[B, L, H, E]` and attention reads its
`transpose(1, 2)`.

`linear` cases: `F.linear(x, w, b)` for 1-D to 4-D inputs, a non-contiguous 3-D input
(`transposedInput`: the leaf is `x.transpose(0, 1)`'s source), with and without a bias.

`mha` cases: `nn.MultiheadAttention(E, H, batch_first=...)` with the given parameters
(`in_proj_weight`, `in_proj_bias`, `out_proj.weight`, `out_proj.bias`), self-attention (one
tensor for query, key and value) or not, masks (`true` = may NOT attend; no row is fully masked),
`need_weights`, `average_attn_weights`, `is_causal` (with the causal mask as `attn_mask`). The
backward is of `(out · gradOutput).sum() + (weights · gradWeights).sum()`.

Inputs are multiples of 1/8 in [-2, 2] (exact in both dtypes), the MHA parameters multiples of
1/32 in [-0.5, 0.5]; gradOutputs multiples of 1/8.
Deterministic: `python3 Tests/Fixtures/make_attention_fixture.py` writes the same file again.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from part2_dsl import check_torch

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def values(shape, gen):
    n = 1
    for s in shape:
        n *= s
    return (torch.randint(-16, 17, (n,), generator=gen).double() / 8).tolist()


def bools(shape, gen, p=0.7):
    return (torch.rand(shape, generator=gen) < p)


def flat(t):
    return t.detach().reshape(-1).tolist()


# (q shape, k shape, v shape, mask: None | (shape, fullyMaskedRows) , causal, requiresGrad or None, transposedQuery)
SDPA = [
    ([2, 3, 5, 4], [2, 3, 5, 4], [2, 3, 5, 4], None, False, None, False),
    ([2, 3, 5, 4], [2, 3, 5, 4], [2, 3, 5, 4], None, True, None, False),
    ([2, 3, 5, 4], [2, 3, 5, 4], [2, 3, 5, 4], ([5, 5], []), False, None, False),
    ([2, 3, 5, 4], [2, 3, 6, 4], [2, 3, 6, 4], ([2, 1, 5, 6], []), False, None, False),
    ([1, 2, 4, 8], [1, 2, 6, 8], [1, 2, 6, 8], None, True, None, False),
    ([1, 2, 6, 8], [1, 2, 4, 8], [1, 2, 4, 8], None, True, None, False),
    ([2, 2, 5, 4], [2, 2, 5, 4], [2, 2, 5, 4], ([5, 5], [1, 3]), False, None, False),
    ([2, 2, 4, 8], [2, 2, 4, 8], [2, 2, 4, 8], None, False, [True, False, False], False),
    ([2, 2, 4, 8], [2, 2, 4, 8], [2, 2, 4, 8], ([2, 2, 4, 4], []), False, [False, False, True], False),
    ([2, 2, 4, 8], [2, 2, 4, 8], [2, 2, 4, 8], None, True, [False, True, False], False),
    ([1, 2, 17, 16], [1, 2, 19, 16], [1, 2, 19, 16], ([17, 19], [4]), False, None, False),
    ([1, 2, 19, 16], [1, 2, 19, 16], [1, 2, 19, 16], None, True, None, False),
    ([2, 3, 5, 4], [2, 3, 5, 4], [2, 3, 5, 4], None, True, None, True),
    # PyTorch's math path
    ([3, 5, 4], [3, 5, 4], [3, 5, 4], None, False, None, False),
    ([3, 5, 4], [3, 6, 4], [3, 6, 4], ([5, 6], [2]), False, None, False),
    ([3, 5, 4], [3, 5, 4], [3, 5, 4], None, True, None, False),
    ([2, 2, 5, 4], [2, 2, 6, 4], [2, 2, 6, 3], None, False, None, False),
    ([2, 3, 5, 4], [1, 3, 6, 4], [2, 1, 6, 4], ([3, 1, 6], []), False, None, False),
    ([5, 4], [6, 4], [6, 4], None, False, None, False),
    ([2, 1, 2, 3, 4], [2, 1, 2, 3, 4], [2, 1, 2, 3, 4], None, True, [True, True, False], False),
]

# (x shape, bias, transposedInput, requiresGrad of x)
LINEAR = [
    ([4], True, False, True), ([4], False, False, True), ([3, 4], True, False, True), ([3, 4], False, False, True),
    ([2, 3, 4], True, False, True), ([2, 3, 4], False, False, False), ([2, 2, 3, 4], True, False, True),
    ([2, 2, 3, 4], False, False, True), ([3, 2, 4], True, True, True), ([3, 2, 4], False, True, True),
]

# (N, L, S, batchFirst, selfAttention, needWeights, average, attnMask: None | 2 | 3, keyPadding, isCausal)
MHA = [
    (2, 3, 3, False, True, True, True, None, False, False),
    (2, 3, 3, True, True, False, True, None, False, False),
    (2, 3, 4, False, False, True, False, 2, False, False),
    (2, 3, 4, True, False, False, True, 2, True, False),
    (2, 4, 4, True, True, False, True, 2, False, True),
    (2, 4, 4, False, True, True, True, 2, False, True),
    (2, 3, 4, True, False, True, True, 3, True, False),
    (2, 3, 4, False, False, False, True, 3, False, False),
    (2, 3, 5, True, False, True, False, None, True, False),
]
E, H = 8, 2


def run_sdpa(gen):
    cases = []
    for qs, ks, vs, mask, causal, requires, transposed in SDPA:
        raw = [values(s, gen) for s in (qs, ks, vs)]
        requires = requires or [True, True, True]
        mask_values = None
        if mask is not None:
            m = bools(mask[0], gen)
            for row in mask[1]:
                m[..., row, :] = False
            m[..., :, 0] |= torch.tensor([r not in mask[1] for r in range(mask[0][-2])])
            mask_values = m.reshape(-1).tolist()
        for dname, dtype in DTYPES.items():
            leaves = []
            for k, (v, s, r) in enumerate(zip(raw, (qs, ks, vs), requires)):
                if k == 0 and transposed:
                    leaf = torch.tensor(v, dtype=dtype).reshape(s[0], s[2], s[1], s[3]).requires_grad_(r)
                else:
                    leaf = torch.tensor(v, dtype=dtype).reshape(s).requires_grad_(r)
                leaves.append(leaf)
            xs = [leaves[0].transpose(1, 2) if transposed else leaves[0], leaves[1], leaves[2]]
            m = torch.tensor(mask_values).reshape(mask[0]) if mask is not None else None
            out = F.scaled_dot_product_attention(xs[0], xs[1], xs[2], attn_mask=m, is_causal=causal)
            g_values = values(list(out.shape), torch.Generator().manual_seed(len(cases)))
            out.backward(torch.tensor(g_values, dtype=dtype).reshape(out.shape))
            cases.append({
                "dtype": dname, "shapes": [qs, ks, vs], "requiresGrad": requires, "transposedQuery": transposed,
                "mask": mask_values, "maskShape": mask[0] if mask is not None else None, "isCausal": causal,
                "inputs": raw, "output": flat(out), "outputShape": list(out.shape),
                "gradFn": type(out.grad_fn).__name__, "gradOutput": g_values,
                "grads": [flat(x.grad) if r else None for x, r in zip(leaves, requires)],
            })
    return cases


def run_linear(gen):
    cases = []
    for shape, bias, transposed, requires in LINEAR:
        out_features, in_features = 5, shape[-1]
        leaf_shape = [shape[1], shape[0]] + shape[2:] if transposed else shape
        raw = [values(leaf_shape, gen), values([out_features, in_features], gen), values([out_features], gen) if bias else None]
        for dname, dtype in DTYPES.items():
            x = torch.tensor(raw[0], dtype=dtype).reshape(leaf_shape).requires_grad_(requires)
            w = torch.tensor(raw[1], dtype=dtype).reshape(out_features, in_features).requires_grad_()
            b = torch.tensor(raw[2], dtype=dtype).requires_grad_() if bias else None
            out = F.linear(x.transpose(0, 1) if transposed else x, w, b)
            g_values = values(list(out.shape), torch.Generator().manual_seed(1000 + len(cases)))
            out.backward(torch.tensor(g_values, dtype=dtype).reshape(out.shape))
            cases.append({
                "dtype": dname, "shape": shape, "bias": bias, "transposedInput": transposed, "requiresGrad": requires,
                "inputs": raw, "output": flat(out), "outputShape": list(out.shape),
                "gradFn": type(out.grad_fn).__name__, "gradOutput": g_values,
                "grads": [flat(x.grad) if requires else None, flat(w.grad), flat(b.grad) if bias else None],
            })
    return cases


def run_mha(gen):
    cases = []
    for N, L, S, batch_first, self_attention, need_weights, average, attn_rank, padding, causal in MHA:
        shape = lambda length: [N, length, E] if batch_first else [length, N, E]
        raw_inputs = [values(shape(L), gen)] if self_attention else [values(shape(L), gen), values(shape(S), gen), values(shape(S), gen)]
        # Parameters a quarter as large (multiples of 1/32 in [-0.5, 0.5]): PyTorch's own init is
        # smaller still, and scores of ±30 would saturate the softmax (float32 gradients lose
        # their digits there, in PyTorch as here).
        raw_params = [[x / 4 for x in values(s, gen)] for s in ([3 * E, E], [3 * E], [E, E], [E])]
        attn_mask = None
        if causal:
            attn_mask = torch.ones(L, S, dtype=torch.bool).triu(1)
        elif attn_rank == 2:
            attn_mask = ~bools([L, S], gen)
            attn_mask[:, 0] = False
        elif attn_rank == 3:
            attn_mask = ~bools([N * H, L, S], gen)
            attn_mask[:, :, 0] = False
        kpm = None
        if padding:
            kpm = ~bools([N, S], gen)
            kpm[:, 0] = False
        for dname, dtype in DTYPES.items():
            torch.manual_seed(0)
            layer = nn.MultiheadAttention(E, H, batch_first=batch_first, dtype=dtype)
            with torch.no_grad():
                for p, v in zip([layer.in_proj_weight, layer.in_proj_bias, layer.out_proj.weight, layer.out_proj.bias], raw_params):
                    p.copy_(torch.tensor(v, dtype=dtype).reshape(p.shape))
            xs = [torch.tensor(v, dtype=dtype).reshape(shape(L if k == 0 else S)).requires_grad_() for k, v in enumerate(raw_inputs)]
            q, k, v = (xs[0], xs[0], xs[0]) if self_attention else xs
            out, weights = layer(q, k, v, key_padding_mask=kpm, need_weights=need_weights, attn_mask=attn_mask,
                                 average_attn_weights=average, is_causal=causal)
            g_values = values(list(out.shape), torch.Generator().manual_seed(2000 + len(cases)))
            loss = (out * torch.tensor(g_values, dtype=dtype).reshape(out.shape)).sum()
            gw_values = None
            if weights is not None:
                gw_values = values(list(weights.shape), torch.Generator().manual_seed(3000 + len(cases)))
                loss = loss + (weights * torch.tensor(gw_values, dtype=dtype).reshape(weights.shape)).sum()
            loss.backward()
            params = [layer.in_proj_weight, layer.in_proj_bias, layer.out_proj.weight, layer.out_proj.bias]
            cases.append({
                "dtype": dname, "N": N, "L": L, "S": S, "batchFirst": batch_first, "selfAttention": self_attention,
                "needWeights": need_weights, "averageAttnWeights": average, "isCausal": causal,
                "attnMask": attn_mask.reshape(-1).tolist() if attn_mask is not None else None,
                "attnMaskShape": list(attn_mask.shape) if attn_mask is not None else None,
                "keyPaddingMask": kpm.reshape(-1).tolist() if kpm is not None else None,
                "inputs": raw_inputs, "parameters": raw_params,
                "output": flat(out), "outputShape": list(out.shape), "gradFn": type(out.grad_fn).__name__,
                "weights": flat(weights) if weights is not None else None,
                "weightsShape": list(weights.shape) if weights is not None else None,
                "weightsGradFn": type(weights.grad_fn).__name__ if weights is not None else None,
                "gradOutput": g_values, "gradWeights": gw_values,
                "inputGrads": [flat(x.grad) for x in xs], "parameterGrads": [flat(p.grad) for p in params],
            })
    return cases


# (op, shapes, params)
ERRORS = [
    ("sdpa", [[4], [4], [4]], {}),
    ("sdpa", [[3, 4], [3, 4], [3, 4]], {"maskShape": [3, 3], "isCausal": True}),
    ("sdpa", [[2, 2, 3, 4], [2, 2, 3, 4], [2, 2, 3, 4]], {"maskShape": [4, 3]}),
    ("sdpa", [[2, 2, 3, 4], [2, 2, 3, 5], [2, 2, 3, 4]], {}),
    ("sdpa", [[2, 2, 3, 4], [3, 2, 3, 4], [3, 2, 3, 4]], {}),
    ("linear", [[], [5, 4]], {}),
    ("linear", [[2, 3, 5], [5, 4]], {}),
    ("linear", [[5], [5, 4]], {}),
    ("mha", [[3, 2, 8], [3, 2, 8], [3, 2, 8]], {"isCausal": True}),
    ("mha", [[3, 2, 8], [4, 2, 8], [4, 2, 8]], {"maskShape": [3, 3]}),
    ("mha", [[3, 2, 8], [4, 2, 8], [4, 2, 8]], {"maskShape": [2, 3, 4]}),
]


def run_error(op, shapes, params):
    xs = [torch.zeros(s) for s in shapes]
    if op == "sdpa":
        m = torch.ones(params["maskShape"], dtype=torch.bool) if "maskShape" in params else None
        F.scaled_dot_product_attention(*xs, attn_mask=m, is_causal=params.get("isCausal", False))
    elif op == "linear":
        F.linear(xs[0], xs[1])
    else:
        layer = nn.MultiheadAttention(E, H)
        m = torch.zeros(params["maskShape"], dtype=torch.bool) if "maskShape" in params else None
        layer(*xs, attn_mask=m, is_causal=params.get("isCausal", False), need_weights=False)


def main():
    check_torch()
    gen = torch.Generator().manual_seed(18)
    sdpa, linear, mha = run_sdpa(gen), run_linear(gen), run_mha(gen)
    errors = []
    for op, shapes, params in ERRORS:
        try:
            run_error(op, shapes, params)
        except (RuntimeError, IndexError, AssertionError) as e:
            errors.append({"op": op, "shapes": shapes, "params": params, "message": str(e)})
        else:
            raise AssertionError(f"{op} {shapes} {params} did not fail")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "attention.json")
    with open(path, "w") as f:
        json.dump({"torch": "2.11.0", "sdpa": sdpa, "linear": linear, "mha": mha, "errors": errors}, f, indent=0)
        f.write("\n")
    print(f"{path}: {len(sdpa)} sdpa, {len(linear)} linear, {len(mha)} mha cases, {len(errors)} errors")


if __name__ == "__main__":
    main()
