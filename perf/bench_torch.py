#!/usr/bin/env python3
"""The benchmark workloads of `tensorbench bench`, in PyTorch (eager, float32, CPU).

Set-up: pip install torch numpy. Usage: python3 perf/bench_torch.py [WORKLOAD...] --threads N --json FILE
Each workload is the twin of Sources/tensorbench/Workloads/<Name>.swift: same shapes, same ops,
same data (bench_common.pattern), same timing recipe (bench_common.measure).
"""
import bench_common as bc
import torch
import torch.nn.functional as F
from torch import nn


def t(values):
    return torch.from_numpy(values)


def seed(threads):
    def prepare():
        x = torch.ones(2, 2, requires_grad=True)

        def step():
            y = x + 2
            out = (y * y * 3).mean()
            out.backward()
            x.grad = None
        return step
    return [bc.Case("seed", "step", 4, prepare, ops=4)]


def chain(x):
    y = x
    for _ in range(bc.OVERHEAD_CHAIN // 2):
        y = y * 0.999
        y = y + 0.001
    return y.sum()


def overhead(threads):
    cases = []
    for n in (1, 64):
        def fwd(n=n):
            x = torch.ones(n, requires_grad=True)
            return lambda: chain(x)

        def fwd_bwd(n=n):
            x = torch.ones(n, requires_grad=True)

            def step():
                chain(x).backward()
                x.grad = None
            return step

        def no_grad(n=n):
            x = torch.ones(n, requires_grad=True)

            def step():
                with torch.no_grad():
                    chain(x)
            return step
        ops = bc.OVERHEAD_CHAIN + 1
        cases += [bc.Case("overhead", "fwd", n, fwd, ops=ops), bc.Case("overhead", "fwd+bwd", n, fwd_bwd, ops=ops),
                  bc.Case("overhead", "no-grad", n, no_grad, ops=ops)]
    return cases


def elementwise(threads):
    cases = []
    for n in bc.STREAM_SIZES:
        for label, f, bwd_bytes in (("a+b", lambda a, b: a + b, 24), ("a*b+a", lambda a, b: a * b + a, 32)):
            def fwd(n=n, f=f):
                a, b = t(bc.pattern(n, 17, 0.5)), t(bc.pattern(n, 13, 0.5))
                return lambda: f(a, b)

            def fwd_bwd(n=n, f=f):
                a = t(bc.pattern(n, 17, 0.5)).requires_grad_()
                b = t(bc.pattern(n, 13, 0.5)).requires_grad_()
                g = torch.ones(n)

                def step():
                    f(a, b).backward(g)
                    a.grad = None
                    b.grad = None
                return step
            cases += [bc.Case("elementwise", f"{label} fwd", n, fwd, bytes=12.0 * n),
                      bc.Case("elementwise", f"{label} fwd+bwd", n, fwd_bwd, bytes=float(bwd_bytes) * n)]
    return cases


def reduce(threads):
    cases = []
    for n in bc.STREAM_SIZES:
        for label, f in (("sum", lambda x: x.sum()), ("mean", lambda x: x.mean())):
            def fwd(n=n, f=f):
                x = t(bc.pattern(n, 17, 0.5))
                return lambda: f(x)

            def fwd_bwd(n=n, f=f):
                x = t(bc.pattern(n, 17, 0.5)).requires_grad_()

                def step():
                    f(x).backward()
                    x.grad = None
                return step
            cases += [bc.Case("reduce", f"{label} fwd", n, fwd, bytes=4.0 * n),
                      bc.Case("reduce", f"{label} fwd+bwd", n, fwd_bwd, bytes=8.0 * n)]
    return cases


def matmul(threads):
    def prepare(n):
        a = t(bc.pattern(n * n, 17, -0.5)).reshape(n, n)
        b = t(bc.pattern(n * n, 13, -0.5)).reshape(n, n)
        return lambda: a @ b
    return [bc.Case("matmul", "fwd", n, lambda n=n: prepare(n), bytes=12.0 * n * n, flops=2.0 * n ** 3)
            for n in bc.MATMUL_SIZES]


def mlp_cases(workload, widths, batch):
    flops = bc.mlp_flops(widths, batch)

    def data():
        x = t(bc.pattern(batch * widths[0], 17, -0.5)).reshape(batch, widths[0])
        return x, torch.arange(batch) % 10

    def linears():
        torch.manual_seed(0)
        return [nn.Linear(a, b) for a, b in zip(widths, widths[1:])]

    def nn_step():
        x, labels = data()
        layers = []
        for i, layer in enumerate(linears()):
            if i:
                layers.append(nn.ReLU())
            layers.append(layer)
        model = nn.Sequential(*layers)
        opt = torch.optim.SGD(model.parameters(), lr=bc.MLP_LR)

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), labels)
            loss.backward()
            opt.step()
        return step

    def plain_step():
        x, labels = data()
        params = [(l.weight.detach().clone().requires_grad_(), l.bias.detach().clone().requires_grad_())
                  for l in linears()]
        flat = [p for pair in params for p in pair]

        def step():
            h = x
            for i, (w, b) in enumerate(params):
                if i:
                    h = h.relu()
                h = h @ w.t() + b
            F.cross_entropy(h, labels).backward()
            with torch.no_grad():
                for p in flat:
                    p -= p.grad * bc.MLP_LR
                    p.grad = None
        return step
    return [bc.Case(workload, "nn", batch, nn_step, flops=flops), bc.Case(workload, "plain", batch, plain_step, flops=flops)]


def bandwidth(threads):
    n = bc.BANDWIDTH_SIZE

    def copy():
        a, b = torch.zeros(n), torch.ones(n)
        return lambda: a.copy_(b)

    def triad():
        a, b, c = torch.zeros(n), torch.ones(n), torch.full((n,), 2.0)
        return lambda: torch.add(b, c, alpha=3.0, out=a)
    return [bc.Case("bandwidth", "copy", n, copy, bytes=8.0 * n), bc.Case("bandwidth", "triad", n, triad, bytes=12.0 * n)]


# The layouts of the strided workload: name, shape of the two leaves, and the view taken of each
# (inside the timed call) to get the two 1000×1000 operands. See `strided`.
STRIDED_LAYOUTS = [
    ("contig", (1000, 1000), lambda a: a, lambda b: b),
    ("both-t", (1000, 1000), lambda a: a.t(), lambda b: b.t()),
    ("one-t", (1000, 1000), lambda a: a.t(), lambda b: b),
    ("narrow", (1000, 1024), lambda a: a[:, :1000], lambda b: b[:, :1000]),
    ("step2", (1000, 2000), lambda a: a[:, ::2], lambda b: b[:, ::2]),
]


def strided(threads):
    """`x + y` and `x * y` where x and y are 1000×1000 views of two leaves a and b (1e6 elements):

    - `contig`: a, b are [1000, 1000]; x = a, y = b (the contiguous baseline of these rows).
    - `both-t`: a, b are [1000, 1000]; x = a.t(), y = b.t() (same permuted layout on both sides).
    - `one-t`: a, b are [1000, 1000]; x = a.t(), y = b (transposed against contiguous: one side
      must be read across rows).
    - `narrow`: a, b are [1000, 1024]; x = a[:, :1000], y = b[:, :1000] (narrow(1, 0, 1000): rows of
      1000 contiguous elements, row stride 1024).
    - `step2`: a, b are [1000, 2000]; x = a[:, ::2], y = b[:, ::2] (slice with step 2 on the last
      dimension: element stride 2, row stride 2000).

    Data: a = pattern(a.numel(), 17, 0.5), b = pattern(b.numel(), 13, 0.5), each reshaped row-major
    to its shape. Case names: "<x+y|x*y> <layout> <fwd|fwd+bwd>", size 1000000 (elements per operand).
    The views are taken inside the timed call in both modes (fwd+bwd needs them recorded).
    `fwd`: a, b don't require grad. `fwd+bwd`: a, b require grad; op(view(a), view(b)).backward(g),
    g = ones([1000, 1000]) (contiguous, made once); a.grad = b.grad = None after each call.
    Bytes (as elementwise, counting only the 1e6 elements the views select): fwd 12 B/element,
    fwd+bwd 24 (x+y) and 32 (x*y) B/element.
    """
    n = bc.STRIDED_SIDE * bc.STRIDED_SIDE
    cases = []
    for label, f, bwd_bytes in (("x+y", lambda x, y: x + y, 24), ("x*y", lambda x, y: x * y, 32)):
        for layout, shape, va, vb in STRIDED_LAYOUTS:
            def leaves(shape=shape, grad=False):
                size = shape[0] * shape[1]
                a = t(bc.pattern(size, 17, 0.5)).reshape(shape)
                b = t(bc.pattern(size, 13, 0.5)).reshape(shape)
                return (a.requires_grad_(), b.requires_grad_()) if grad else (a, b)

            def fwd(f=f, va=va, vb=vb, leaves=leaves):
                a, b = leaves()
                return lambda: f(va(a), vb(b))

            def fwd_bwd(f=f, va=va, vb=vb, leaves=leaves):
                a, b = leaves(grad=True)
                g = torch.ones(bc.STRIDED_SIDE, bc.STRIDED_SIDE)

                def step():
                    f(va(a), vb(b)).backward(g)
                    a.grad = None
                    b.grad = None
                return step
            cases += [bc.Case("strided", f"{label} {layout} fwd", n, fwd, bytes=12.0 * n),
                      bc.Case("strided", f"{label} {layout} fwd+bwd", n, fwd_bwd, bytes=float(bwd_bytes) * n)]
    return cases


def cat(threads):
    """`torch.cat` of 8 tensors x_k of shape [1000, 1000] (1e6 elements each), k = 0..7,
    x_k = pattern(1e6, 17, 0.5 + k) reshaped row-major:

    - `dim0`: cat along dim 0 -> [8000, 1000] (each input one contiguous block of the output).
    - `dim1`: cat along dim 1 -> [1000, 8000] (each output row holds a row of every input).

    Case names: "<dim0|dim1> <fwd|fwd+bwd>", size 1000000 (elements per input). `fwd`: the inputs
    don't require grad. `fwd+bwd`: they do; cat(xs).backward(g), g = ones(output shape) (made
    once); every x_k.grad = None after each call. Bytes: fwd reads 8e6 and writes 8e6 elements
    (64 B per input element); fwd+bwd also reads g and writes the 8 grads (128 B). PyTorch's
    AccumulateGrad keeps dim0's gradient slices as views of g (no copy: checked with data_ptr),
    dim1's are copied out of g.
    """
    n = bc.CAT_SIDE * bc.CAT_SIDE
    k = bc.CAT_INPUTS
    cases = []
    for dim in (0, 1):
        def inputs(grad=False):
            return [t(bc.pattern(n, 17, 0.5 + i)).reshape(bc.CAT_SIDE, bc.CAT_SIDE).requires_grad_(grad)
                    for i in range(k)]

        def fwd(dim=dim):
            xs = inputs()
            return lambda: torch.cat(xs, dim)

        def fwd_bwd(dim=dim):
            xs = inputs(grad=True)
            g = torch.ones(torch.cat(xs, dim).shape)

            def step():
                torch.cat(xs, dim).backward(g)
                for x in xs:
                    x.grad = None
            return step
        cases += [bc.Case("cat", f"dim{dim} fwd", n, fwd, bytes=8.0 * k * n),
                  bc.Case("cat", f"dim{dim} fwd+bwd", n, fwd_bwd, bytes=16.0 * k * n)]
    return cases


def view_chain(x):
    """25 × (slice, transpose, select, unsqueeze) on a 3-d tensor: 100 view ops."""
    y = x
    for _ in range(bc.VIEW_CHAIN // 4):
        y = y[:, 1:]            # slice: dim 1 from 1 to the end (SliceBackward0)
        y = y.transpose(1, 2)   # transpose dims 1 and 2 (TransposeBackward0)
        y = y[0]                # select: dim 0, index 0 (SelectBackward0) -> 2-d
        y = y[None]             # unsqueeze at dim 0 (UnsqueezeBackward0) -> 3-d again
    return y


def view_chains(threads):
    """The cost of one tracked view op: a chain of 100 view ops on a leaf x of shape [1, s, s],
    s = 32 (size 1024) and s = 256 (size 65536), x = pattern(s*s, 17, 0.5) reshaped. The chain
    (`view_chain`) repeats 25 times: y = y[:, 1:] (slice dim 1, start 1, step 1), y.transpose(1, 2),
    y[0] (select dim 0, index 0), y[None] (unsqueeze dim 0). Unsqueeze puts back the dimension select
    removes, so the chain can go on; the select is on a dimension of size 1. Slicing shrinks the
    two last dimensions in turn: the result is [1, s-12, s-13] (s = 32: [1, 20, 19]), the view
    x[0, 13:, 12:].t()[None] of x (strides [s-12, 1, s], storage offset 13*s + 12), and x.grad
    after fwd+bwd is 1 on x[0, 13:, 12:] and 0 elsewhere.
    Cases (as overhead's): `fwd`: x requires grad, the chain is recorded, the graph dropped.
    `fwd+bwd`: chain(x).backward(g), g = ones(result shape) (made once), x.grad = None.
    `no-grad`: the chain under no_grad. ops = 100 (no sum: the time per op is time / 100).
    Indexing (y[:, 1:], y[0], y[None]) is PyTorch's fastest way to these ops from Python (tracked,
    [1, 32, 32]: 2.35, 1.55, 1.35 µs against 2.53, 2.11, 1.69 µs for narrow, select, unsqueeze), so
    it is what this side uses.
    """
    cases = []
    for s in bc.VIEW_CHAIN_SIDES:
        def leaf(s=s):
            return t(bc.pattern(s * s, 17, 0.5)).reshape(1, s, s).requires_grad_()

        def fwd(leaf=leaf):
            x = leaf()
            return lambda: view_chain(x)

        def fwd_bwd(leaf=leaf):
            x = leaf()
            with torch.no_grad():
                g = torch.ones(view_chain(x).shape)

            def step():
                view_chain(x).backward(g)
                x.grad = None
            return step

        def no_grad(leaf=leaf):
            x = leaf()

            def step():
                with torch.no_grad():
                    view_chain(x)
            return step
        ops = bc.VIEW_CHAIN
        cases += [bc.Case("view-chain", "fwd", s * s, fwd, ops=ops),
                  bc.Case("view-chain", "fwd+bwd", s * s, fwd_bwd, ops=ops),
                  bc.Case("view-chain", "no-grad", s * s, no_grad, ops=ops)]
    return cases


def higher_order(threads):
    """Sources/tensorbench/Workloads/HigherOrder.swift's twin: mlp-small's Hessian-vector
    product by double backward (torch.autograd.grad with create_graph=True, then grad of the
    gradient along v, the equivalent of torch.autograd.functional.hvp without its extra
    backward), and a WGAN-GP gradient-penalty critic step with an SGD update."""
    widths, batch = [64, 128, 10], 64

    def parameters():
        torch.manual_seed(0)
        return [(l.weight.detach().clone().requires_grad_(), l.bias.detach().clone().requires_grad_())
                for l in [nn.Linear(a, b) for a, b in zip(widths, widths[1:])]]

    def forward(x, pairs):
        h = x
        for i, (w, b) in enumerate(pairs):
            if i:
                h = h.relu()
            h = h @ w.t() + b
        return h

    def hvp():
        x = t(bc.pattern(batch * widths[0], 17, -0.5)).reshape(batch, widths[0])
        labels = torch.arange(batch) % 10
        pairs = parameters()
        params = [p for pair in pairs for p in pair]
        v = [t(bc.pattern(p.numel(), 13, -0.5)).reshape(p.shape) for p in params]

        def step():
            loss = F.cross_entropy(forward(x, pairs), labels)
            g = torch.autograd.grad(loss, params, create_graph=True)
            torch.autograd.grad(g, params, grad_outputs=v)
        return step

    def gradient_penalty():
        x = t(bc.pattern(batch * widths[0], 17, -0.5)).reshape(batch, widths[0]).requires_grad_()
        pairs = parameters()
        params = [p for pair in pairs for p in pair]

        def step():
            out = forward(x, pairs)
            (gx,) = torch.autograd.grad(out.sum(), x, create_graph=True)
            penalty = ((gx * gx).sum(dim=1).sqrt() - 1).pow(2).mean() * 10
            (out.mean() + penalty).backward()
            with torch.no_grad():
                for p in params:
                    p -= p.grad * bc.MLP_LR
                    p.grad = None
            x.grad = None
        return step
    return [bc.Case("higher-order", "hvp", batch, hvp), bc.Case("higher-order", "gradient-penalty", batch, gradient_penalty)]
def conv(threads):
    """3×3 convolutions, batch 32, 32×32 images, padding 1, forward and backward: one `conv2d` with
    bias 3→16 (its input needs no gradient) and 16→32 (its input needs one), and a two-block net
    (conv 3→16, ReLU, max pool 2, conv 16→32, ReLU, max pool 2, sum). Inputs from the pattern
    (modulus 17, offset -0.5); PyTorch's default init (seeded) for the weights."""
    def flops(cin, cout, input_gradient):
        return 2.0 * 32 * 32 * 32 * cin * cout * 9 * (3 if input_gradient else 2)

    def layer(cin, cout, seed):
        torch.manual_seed(seed)
        return nn.Conv2d(cin, cout, 3, padding=1)

    def x_of(c, grad=False):
        return t(bc.pattern(32 * c * 32 * 32, 17, -0.5)).reshape(32, c, 32, 32).requires_grad_(grad)

    def conv3to16():
        x, c = x_of(3), layer(3, 16, 0)

        def step():
            c.zero_grad()
            c(x).sum().backward()
        return step

    def conv16to32():
        x, c = x_of(16, True), layer(16, 32, 1)

        def step():
            c.zero_grad()
            x.grad = None
            c(x).sum().backward()
        return step

    def net():
        x, c1, c2 = x_of(3), layer(3, 16, 2), layer(16, 32, 3)

        def step():
            c1.zero_grad()
            c2.zero_grad()
            h = F.max_pool2d(c1(x).relu(), 2)
            F.max_pool2d(c2(h).relu(), 2).sum().backward()
        return step
    return [bc.Case("conv", "conv3to16", 32, conv3to16, flops=flops(3, 16, False)),
            bc.Case("conv", "conv16to32", 32, conv16to32, flops=flops(16, 32, True)),
            bc.Case("conv", "net", 32, net)]


def attention(threads):
    """Causal attention forward and backward at transformer sizes (batch 8, sequence 64, width 128,
    4 heads): `sdpa`, one `F.scaled_dot_product_attention(q, k, v, is_causal=True)` of q, k, v
    [8, 4, 64, 32] that all require grad, summed; `mha`, `nn.MultiheadAttention(128, 4,
    batch_first=True)` of x [8, 64, 128] (requires grad) as causal self-attention without weights
    (the causal mask as attn_mask with is_causal=True), summed. Inputs from the pattern; PyTorch's
    default init (seeded) for the layer."""
    batch, heads, length, width = 8, 4, 64, 128
    head_width = width // heads

    def sdpa():
        n = batch * heads * length * head_width
        q, k, v = (t(bc.pattern(n, m, -0.5)).reshape(batch, heads, length, head_width).requires_grad_()
                   for m in (17, 13, 11))

        def step():
            for x in (q, k, v):
                x.grad = None
            F.scaled_dot_product_attention(q, k, v, is_causal=True).sum().backward()
        return step

    def mha():
        torch.manual_seed(0)
        layer = nn.MultiheadAttention(width, heads, batch_first=True)
        x = t(bc.pattern(batch * length * width, 17, -0.5)).reshape(batch, length, width).requires_grad_()
        mask = torch.ones(length, length, dtype=torch.bool).triu(1)

        def step():
            layer.zero_grad()
            x.grad = None
            layer(x, x, x, need_weights=False, attn_mask=mask, is_causal=True)[0].sum().backward()
        return step
    return [bc.Case("attention", "sdpa", length, sdpa, flops=12.0 * batch * heads * length * length * head_width),
            bc.Case("attention", "mha", length, mha)]


def transformer_ops(threads):
    """The twin of Workloads/TransformerOps.swift: layer_norm, softmax, gelu (erf and tanh),
    embedding (vocab 65 and 50257) and cross-entropy at a small transformer's sizes (batch 8,
    sequence 64, width 128, 4 heads, hidden 512), each `op(x).backward(g)` with a fixed upstream
    gradient g = pattern(13, -0.5), grads reset (cross-entropy: backward() of the 0-d loss)."""
    batch, seq, width, heads, hidden, vocab = 8, 64, 128, 4, 512, 65
    tokens = batch * seq

    def pat(shape, modulus, offset, grad=False):
        n = 1
        for s in shape:
            n *= s
        return t(bc.pattern(n, modulus, offset)).reshape(shape).requires_grad_(grad)

    def layernorm():
        x = pat((batch, seq, width), 17, -0.5, True)
        w, b = pat((width,), 7, 0.5, True), pat((width,), 5, -0.2, True)
        g = pat((batch, seq, width), 13, -0.5)

        def step():
            F.layer_norm(x, (width,), w, b).backward(g)
            x.grad = w.grad = b.grad = None
        return step

    def softmax():
        shape = (batch, heads, seq, seq)
        x, g = pat(shape, 17, -0.5, True), pat(shape, 13, -0.5)

        def step():
            x.softmax(-1).backward(g)
            x.grad = None
        return step

    def gelu(approximate):
        def prepare():
            shape = (batch, seq, hidden)
            x = (pat(shape, 17, -0.5) * 6).requires_grad_()
            g = pat(shape, 13, -0.5)

            def step():
                F.gelu(x, approximate=approximate).backward(g)
                x.grad = None
            return step
        return prepare

    def embedding(v):
        def prepare():
            w = pat((v, width), 17, -0.5, True)
            idx = ((torch.arange(tokens) * 31 + 7) % v).reshape(batch, seq)
            g = pat((batch, seq, width), 13, -0.5)

            def step():
                F.embedding(idx, w).backward(g)
                w.grad = None
            return step
        return prepare

    def cross_entropy():
        x = pat((tokens, vocab), 17, -0.5, True)
        targets = (torch.arange(tokens) * 7 + 3) % vocab

        def step():
            F.cross_entropy(x, targets).backward()
            x.grad = None
        return step
    w = "transformer-ops"
    return [bc.Case(w, "layernorm", tokens * width, layernorm),
            bc.Case(w, "softmax", batch * heads * seq * seq, softmax),
            bc.Case(w, "gelu", tokens * hidden, gelu("none")),
            bc.Case(w, "gelu-tanh", tokens * hidden, gelu("tanh")),
            bc.Case(w, "embedding-65", 65 * width, embedding(65)),
            bc.Case(w, "embedding-50257", 50257 * width, embedding(50257)),
            bc.Case(w, "cross-entropy", tokens * vocab, cross_entropy)]


WORKLOADS = {
    "seed": seed, "overhead": overhead, "elementwise": elementwise, "reduce": reduce, "matmul": matmul,
    "mlp-small": lambda threads: mlp_cases("mlp-small", [64, 128, 10], 64),
    "mlp-large": lambda threads: mlp_cases("mlp-large", [784, 512, 512, 10], 256),
    "bandwidth": bandwidth,
    "strided": strided, "cat": cat, "view-chain": view_chains, "higher-order": higher_order, "conv": conv,
    "attention": attention, "transformer-ops": transformer_ops,
}


def main():
    args = bc.parser("PyTorch side of the tensorbench workloads.", WORKLOADS).parse_args()
    torch.set_num_threads(args.threads)
    machine = bc.machine_info()
    info = torch.__config__.parallel_info()
    backend = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("ATen parallel backend")), "?")
    machine.update(
        torch=torch.__version__, numpy=bc.np.__version__, threads=args.threads,
        torch_num_threads=torch.get_num_threads(), parallel_backend=backend,
        cpu_capability=torch.backends.cpu.get_cpu_capability(),
        blas="MKL" if torch.backends.mkl.is_available() else "other",
        mkldnn=torch.backends.mkldnn.is_available())
    bc.run(args, f"pytorch {torch.__version__}", machine, WORKLOADS)


if __name__ == "__main__":
    main()
