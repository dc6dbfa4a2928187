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
