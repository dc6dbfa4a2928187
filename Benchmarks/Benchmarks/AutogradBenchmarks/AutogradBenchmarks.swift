import Autograd
import Benchmark

// The Autograd suite: six workloads of `tensorbench bench` (same shapes, ops and data as
// Sources/tensorbench/Workloads), each measured three ways, as three benchmarks:
//
//   <workload>_time         wall clock and throughput. Noisy on a shared machine: their
//                           tolerances are empty, so `thresholds check` never fails on them.
//   <workload>_mallocs      mallocCountTotal only (exact: peakMemoryResident in the same benchmark
//                           adds ~16–18 mallocs per sample), on one thread. Checked strictly
//                           against Thresholds/AutogradBenchmarks.<workload>_mallocs.p90.json.
//   <workload>_peak_memory  peakMemoryResident only, reported, not checked.
//
// Names have no spaces: a name with spaces is written as `a_b` by `thresholds update` but read
// back as `a b`, and the check then silently finds no thresholds.

/// Deterministic data, element `i` = `Float(i % modulus) / Float(modulus) + offset`.
func patternTensor(_ shape: [Int], modulus: Int, offset: Float, requiresGrad: Bool = false) -> Tensor<Float> {
    let count = shape.reduce(1, *)
    let m = Float(modulus)
    return try! Tensor((0..<count).map { Float($0 % modulus) / m + offset }, shape: shape, requiresGrad: requiresGrad)
}

/// One iteration of a workload, its state built by the workload's function (the setup).
struct Workload {
    var run: () throws -> Void
}

/// The tutorial step: `x + 2`, `y * y * 3`, `mean`, backward, grad reset.
func seedStep() -> Workload {
    let x = Tensor<Float>.ones([2, 2], requiresGrad: true)
    return Workload {
        let y = x + 2
        try (y * y * 3).mean().backward()
        x.zeroGrad()
    }
}

/// 100 tracked ops with a scalar on 64 elements, `sum`, backward, grad reset (one iteration =
/// 101 tracked ops and their backward).
func trackedOps() -> Workload {
    let x = Tensor<Float>.ones([64], requiresGrad: true)
    return Workload {
        var y = x
        for _ in 0..<50 {
            y = y * 0.999
            y = y + 0.001
        }
        try y.sum().backward()
        x.zeroGrad()
    }
}

/// The view chain of `tensorbench bench view-chain` (fwd, 32×32): 100 tracked view ops
/// (narrow, transpose, select, unsqueeze), forward only. Each op makes its tensor and one array,
/// the view's shape with its layout (Note [A view's layout in its shape's capacity]).
func viewChain() -> Workload {
    let x = patternTensor([1, 32, 32], modulus: 17, offset: 0.5, requiresGrad: true)
    return Workload {
        var y = x
        for _ in 0..<25 {
            y = y.narrow(dim: 1, start: 1, length: y.shape[1] - 1)
            y = y.transposed(1, 2)
            y = y.select(dim: 0, index: 0)
            y = y.unsqueezed(dim: 0)
        }
        blackHole(y)
    }
}

/// `a * b + a` on 1e6 elements, forward and `backward(gradient:)`, grads reset.
func elementwise() -> Workload {
    let n = 1_000_000
    let a = patternTensor([n], modulus: 17, offset: 0.5, requiresGrad: true)
    let b = patternTensor([n], modulus: 13, offset: 0.5, requiresGrad: true)
    let g = Tensor<Float>.ones([n])
    return Workload {
        try (a * b + a).backward(gradient: g)
        a.zeroGrad()
        b.zeroGrad()
    }
}

/// A 256×256 matmul of tensors that don't require grad.
func matmul() -> Workload {
    let a = patternTensor([256, 256], modulus: 17, offset: -0.5)
    let b = patternTensor([256, 256], modulus: 13, offset: -0.5)
    return Workload { blackHole(a.matmul(b)) }
}

/// One SGD step of the 64-128-10 ReLU MLP on a batch of 64 (nn: Sequential, Linear, SGD).
func mlpSmallStep() -> Workload {
    var rng = RandomGenerator(seed: 0)
    let model = Sequential<Float>(
        Linear(inFeatures: 64, outFeatures: 128, using: &rng), ReLU(), Linear(inFeatures: 128, outFeatures: 10, using: &rng))
    let optimizer = SGD(model.parameters, lr: 1e-4)
    let x = patternTensor([64, 64], modulus: 17, offset: -0.5)
    let labels = (0..<64).map { $0 % 10 }
    return Workload {
        optimizer.zeroGrad()
        try crossEntropy(logits: model(x), targets: labels).backward()
        optimizer.step()
    }
}

// MARK: - One op forward and backward, at a small transformer's or CNN's sizes (mallocs only)
//
// Note [What an op step allocates]: each of these steps is `op(x).backward(gradient: g)` (or a
// loss's `backward()`) with grads reset, and counts, on one thread, every malloc of the step.
// The ideal for one op is its outputs and saved values, plus the fixed bookkeeping of any
// recorded op and its backward, which `elementwise_1e6_fwd_bwd` (`a*b+a`: two ops) shows:
// per tensor made, the `Tensor` object and its storage object (2 mallocs; the bytes come from
// the thread's BufferCache and cost no malloc in a steady loop: `tensorbench allocations`
// shows 322 bytes allocated per gelu step of 2 MB of tensors), and the arrays of shapes and
// node lists an op makes. The
// kernels allocate nothing of their own: no temporary tensors (softmax's backward is one fused
// pass, layer norm's recomputes each row's statistics in cache, embedding's adds rows into the
// gradient's own zeros, no zero tensor copied), no arrays of per-row statistics. What the
// counts hold beyond the outputs is listed at each benchmark.

/// `layerNorm` of `[8, 64, 128]` over its last dim with weight and bias, all three needing
/// grads. Outputs: y, then dx, dw, db (the leaves' grads); the node keeps x and w (no mean or
/// 1/σ: the backward recomputes them per row). 8 mallocs: the four outputs' storage objects
/// and `Tensor`s, the ideal. The node takes its inputs as arguments (no list), its derivative
/// fills the graph's spare list, the sweep's lists are the graph's, dw and db share the
/// weight's shape array, and the kernels allocate nothing (25 before session 18: those lists
/// and new shape arrays; before that, 2 arrays of row statistics and 1 of 1/σ each way).
func layerNormStep() -> Workload {
    let x = patternTensor([8, 64, 128], modulus: 17, offset: -0.5, requiresGrad: true)
    let w = patternTensor([128], modulus: 7, offset: 0.5, requiresGrad: true)
    let b = patternTensor([128], modulus: 5, offset: -0.2, requiresGrad: true)
    let g = patternTensor([8, 64, 128], modulus: 13, offset: -0.5)
    return Workload {
        try layerNorm(x, normalizedShape: [128], weight: w, bias: b).backward(gradient: g)
        x.zeroGrad(); w.zeroGrad(); b.zeroGrad()
    }
}

/// `softmax(dim: -1)` of attention scores `[8, 4, 64, 64]`. Outputs: y (also the saved value)
/// and dx. 4 mallocs: y's and dx's (x.grad's) storage objects and `Tensor`s: the ideal (the
/// unfused backward it replaces made three temporary tensors).
func softmaxStep() -> Workload {
    let x = patternTensor([8, 4, 64, 64], modulus: 17, offset: -0.5, requiresGrad: true)
    let g = patternTensor([8, 4, 64, 64], modulus: 13, offset: -0.5)
    return Workload {
        try x.softmax(dim: -1).backward(gradient: g)
        x.zeroGrad()
    }
}

/// Exact `gelu` of an MLP's hidden activations `[8, 64, 512]`. Outputs: y and dx; saved: x
/// itself. 4 mallocs: y's and dx's storage objects and `Tensor`s, the ideal.
func geluStep() -> Workload {
    let x = patternTensor([8, 64, 512], modulus: 17, offset: -0.5, requiresGrad: true)
    let g = patternTensor([8, 64, 512], modulus: 13, offset: -0.5)
    return Workload {
        try x.gelu().backward(gradient: g)
        x.zeroGrad()
    }
}

/// `embedding` of indices `[8, 64]` into a `[65, 128]` table (a character vocabulary).
/// Outputs: the rows `[8, 64, 128]` and the table's gradient; saved: the indices (an array).
/// 6 mallocs: the indices read out as an array (saved), the rows' storage, shape and `Tensor`,
/// the table gradient's storage and `Tensor` (its shape the table's own array): the ideal. The
/// rows are copied straight into the output's shape and the gradient scattered from the output
/// gradient as it is (10 before session 18: a `[N, D]` shape then a reshape each way, and an
/// index-select's arrays); no zero tensor is copied (the code before made zeros, then a copy of
/// them to add into).
func embeddingStep() -> Workload {
    let w = patternTensor([65, 128], modulus: 17, offset: -0.5, requiresGrad: true)
    let indices = try! Tensor<Int>((0..<512).map { ($0 * 31 + 7) % 65 }, shape: [8, 64])
    let g = patternTensor([8, 64, 128], modulus: 13, offset: -0.5)
    return Workload {
        try embedding(indices, weight: w).backward(gradient: g)
        w.zeroGrad()
    }
}

/// `crossEntropy` of `[512, 65]` logits (the character model's head), `backward()` from the loss.
/// Outputs: the loss and the logits' gradient; saved: the log-probabilities and the targets.
/// 6 mallocs: the loss's storage and `Tensor`, the saved log-probabilities, the targets' array,
/// the gradient's storage and `Tensor` (exp and scale now write one tensor, were two).
func crossEntropyStep() -> Workload {
    let x = patternTensor([512, 65], modulus: 17, offset: -0.5, requiresGrad: true)
    let targets = try! Tensor<Int>((0..<512).map { ($0 * 7 + 3) % 65 }, shape: [512])
    return Workload {
        try crossEntropy(logits: x, targets: targets).backward()
        x.zeroGrad()
    }
}

/// `conv2d` 16→32, 3×3, padding 1, with bias, of a batch `[8, 16, 32, 32]`, all inputs needing
/// grads. Outputs: y, dx, dw, db; saved: x, w and the geometry. 11 mallocs: y's storage, shape
/// and `Tensor` (3), the geometry (1, saved), dx's, dw's and db's storage and `Tensor` (6, their
/// shapes the inputs' own arrays), and the layer's parameter list for `zeroGrad()` (1). The
/// product's node and the bias's are recorded together, with no `Tensor` between them, and the
/// kernels' scratch comes from the thread's BufferCache. 27 before session 18: the
/// stride/padding/dilation lists and the checks' arrays, shapes made from the geometry, the
/// product's `Tensor`, and `zeroGrad()` through a key path.
func conv2dStep() -> Workload {
    var rng = RandomGenerator(seed: 1)
    let conv = Conv2d<Float>(inChannels: 16, outChannels: 32, kernelSize: 3, padding: 1, using: &rng)
    let x = patternTensor([8, 16, 32, 32], modulus: 17, offset: -0.5, requiresGrad: true)
    let g = patternTensor([8, 32, 32, 32], modulus: 13, offset: -0.5)
    return Workload {
        try conv(x).backward(gradient: g)
        conv.zeroGrad()
        x.zeroGrad()
    }
}

/// `maxPool2d` 2×2 of `[8, 16, 32, 32]`. Outputs: y and dx; saved: the argmax positions.
/// 6 mallocs: y's storage, shape and `Tensor`, the positions array (saved, the geometry written
/// at its head), dx's storage and `Tensor` (its shape the input's): the ideal (7 before session
/// 18, the geometry made as a list and copied in; 8 before the AVX-512 pooling kernel).
func maxPool2dStep() -> Workload {
    let x = patternTensor([8, 16, 32, 32], modulus: 17, offset: -0.5, requiresGrad: true)
    let g = patternTensor([8, 16, 16, 16], modulus: 13, offset: -0.5)
    return Workload {
        try maxPool2d(x, kernelSize: 2).backward(gradient: g)
        x.zeroGrad()
    }
}

/// Training-mode `batchNorm` of `[8, 16, 32, 32]` with weight, bias and running statistics.
/// Outputs: y, dx, dw, db, and the running statistics' new values (written in place). 8
/// mallocs: the four outputs' storage and `Tensor`s, the ideal, as layer norm's (25 before
/// session 18: as layer norm's, plus `[C]` shapes made and reshaped); the per-channel
/// statistics live on the stack (39 before: `[Double]` arrays
/// each way, and two new tensors per step for the running statistics' update).
func batchNormStep() -> Workload {
    let x = patternTensor([8, 16, 32, 32], modulus: 17, offset: -0.5, requiresGrad: true)
    let w = patternTensor([16], modulus: 7, offset: 0.5, requiresGrad: true)
    let b = patternTensor([16], modulus: 5, offset: -0.2, requiresGrad: true)
    let mean = Tensor<Float>.zeros([16]), variance = Tensor<Float>.ones([16])
    let g = patternTensor([8, 16, 32, 32], modulus: 13, offset: -0.5)
    return Workload {
        try batchNorm(x, runningMean: mean, runningVar: variance, weight: w, bias: b, training: true).backward(gradient: g)
        x.zeroGrad(); w.zeroGrad(); b.zeroGrad()
    }
}

/// Causal `scaledDotProductAttention` of q, k, v `[8, 4, 64, 32]` (one fused node, as PyTorch's
/// flash-attention path), `sum()` then backward. Outputs: the attention output, the sum, and
/// dq, dk, dv; saved: q, k, v and the probabilities P; the backward's dP is one scratch matrix
/// per thread from the thread's BufferCache (Note [Fused attention]). 13 mallocs: the output's,
/// the sum's and dq's, dk's, dv's storage and `Tensor` (10; the output shares the query's shape
/// array), P's storage and shape (2, saved), and the sum's gradient expanded to the output's
/// shape (1, the sum's backward's output): outputs and saved values only. 51 at first, 32 once
/// the operands kept their leading dimensions inline, 13 in session 18 (shapes from the
/// query's, no strides arrays, dP's scratch cached, no lists for the wide node).
func sdpaStep() -> Workload {
    let shape = [8, 4, 64, 32]
    let q = patternTensor(shape, modulus: 17, offset: -0.5, requiresGrad: true)
    let k = patternTensor(shape, modulus: 13, offset: -0.5, requiresGrad: true)
    let v = patternTensor(shape, modulus: 11, offset: -0.5, requiresGrad: true)
    return Workload {
        try scaledDotProductAttention(query: q, key: k, value: v, isCausal: true).sum().backward()
        q.zeroGrad(); k.zeroGrad(); v.zeroGrad()
    }
}

/// `MultiheadAttention` (embedding 128, 4 heads, batch first) as causal self-attention of
/// `[8, 64, 128]`, `sum()` then backward: the input projection, the head split, the fused
/// attention, the heads' merge and the output projection, with every parameter's gradient.
/// 116 mallocs over some twenty recorded ops (views, products, the fused attention), most of
/// them outputs: each view is one array, its shape and layout; the first samples count one
/// fewer, before the caches of the thread warm up, and the check reads the 90th percentile.
/// 272 at first, 253 once attention operands kept their leading dimensions inline, 116 in
/// session 18 (views in one allocation each, permute's derivative without an inverse array,
/// strided loops without index arrays, the projections' bias nodes without a `Tensor` between,
/// `zeroGrad()` without a key path).
func multiheadAttentionStep() -> Workload {
    var rng = RandomGenerator(seed: 0)
    let layer = MultiheadAttention<Float>(embedDim: 128, numHeads: 4, batchFirst: true, using: &rng)
    let x = patternTensor([8, 64, 128], modulus: 17, offset: -0.5, requiresGrad: true)
    let mask = try! Tensor<Bool>((0..<(64 * 64)).map { $0 % 64 > $0 / 64 }, shape: [64, 64])
    return Workload {
        try layer(x, x, x, needWeights: false, attnMask: mask, isCausal: true).0.sum().backward()
        layer.zeroGrad()
        x.zeroGrad()
    }
}

let benchmarks: @Sendable () -> Void = {
    // Tolerances that never report a deviation: for metrics that are measured, not checked.
    let unchecked = BenchmarkThresholds(relative: [:], absolute: [:])
    let time = Benchmark.Configuration(
        metrics: [.wallClock, .throughput], warmupIterations: 10, maxDuration: .seconds(1), maxIterations: 100_000,
        thresholds: [.wallClock: unchecked, .throughput: unchecked])
    // Checked with the default (strict) tolerance: any change of the count is reported.
    let mallocs = Benchmark.Configuration(
        metrics: [.mallocCountTotal], warmupIterations: 5, maxDuration: .seconds(1), maxIterations: 50)
    let memory = Benchmark.Configuration(
        metrics: [.peakMemoryResident], warmupIterations: 2, maxDuration: .seconds(1), maxIterations: 20,
        thresholds: [.peakMemoryResident: unchecked])

    let workloads: [(String, () -> Workload)] = [
        ("seed_step", seedStep), ("tracked_op_x100", trackedOps), ("elementwise_1e6_fwd_bwd", elementwise),
        ("matmul_256", matmul), ("mlp_small_step", mlpSmallStep), ("view_chain_x100", viewChain),
    ]
    // Malloc counts are taken on one thread: how often Dispatch allocates when a kernel is split
    // across cores depends on scheduling (42 or 43 for elementwise_1e6_fwd_bwd on 2 threads).
    // Time and peak memory run with the library's default thread settings.
    let defaultThreads = (parallel: Parallel.threads, blas: BLASLibrary.maxThreads)
    // One op each, forward and backward (Note [What an op step allocates]): malloc counts only.
    let opSteps: [(String, () -> Workload)] = [
        ("layer_norm_8x64x128_fwd_bwd", layerNormStep), ("softmax_8x4x64x64_fwd_bwd", softmaxStep),
        ("gelu_8x64x512_fwd_bwd", geluStep), ("embedding_65x128_fwd_bwd", embeddingStep),
        ("cross_entropy_512x65_fwd_bwd", crossEntropyStep), ("conv2d_16to32_8x32x32_fwd_bwd", conv2dStep),
        ("max_pool2d_8x16x32x32_fwd_bwd", maxPool2dStep), ("batch_norm_8x16x32x32_fwd_bwd", batchNormStep),
        ("sdpa_8x4x64x32_causal_fwd_bwd", sdpaStep), ("multihead_attention_8x64x128_fwd_bwd", multiheadAttentionStep),
    ]
    for (name, make) in opSteps {
        Benchmark("\(name)_mallocs", configuration: mallocs) { benchmark, workload in
            for _ in benchmark.scaledIterations { try! workload.run() }
        } setup: { () -> Workload in
            Parallel.threads = 1
            BLASLibrary.maxThreads = 1
            return make()
        }
    }
    for (name, make) in workloads {
        for (suffix, configuration) in [("time", time), ("mallocs", mallocs), ("peak_memory", memory)] {
            Benchmark("\(name)_\(suffix)", configuration: configuration) { benchmark, workload in
                for _ in benchmark.scaledIterations { try! workload.run() }
            } setup: { () -> Workload in
                Parallel.threads = suffix == "mallocs" ? 1 : defaultThreads.parallel
                BLASLibrary.maxThreads = suffix == "mallocs" ? 1 : defaultThreads.blas
                return make()
            }
        }
    }
}
