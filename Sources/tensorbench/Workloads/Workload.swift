import Autograd

/// A named group of cases, the unit `tensorbench bench NAME` selects. Each one has a twin in
/// perf/bench_torch.py (and, where NumPy can do it, perf/bench_numpy.py): same shapes, same
/// ops, same data, so that the JSON records line up by (workload, case, size, threads).
protocol Workload {
    static var name: String { get }
    static var summary: String { get }
    static func cases(_ settings: BenchSettings) -> [BenchCase]
}

/// One thing to time: a workload's case at one size.
struct BenchCase {
    var workload: String
    var name: String
    /// Elements per input (or n for an n×n matmul, or the batch for an MLP step).
    var size: Int
    /// Bytes one call must move at least (inputs read once, outputs written once), for GB/s.
    var bytes: Double? = nil
    /// Floating-point operations of one call, for GFLOP/s.
    var flops: Double? = nil
    /// Tensor operations in one call, for the time per op.
    var ops: Int? = nil
    /// Builds the inputs and returns the call to time. It runs just before the case is timed,
    /// so that large inputs exist only while their own case runs.
    var prepare: () throws -> () throws -> Void
}

/// Deterministic data, element `i` = `Float(i % modulus) / Float(modulus) + offset`.
/// perf/bench_common.py's `pattern` makes the same values for PyTorch and NumPy.
func pattern(_ count: Int, modulus: Int, offset: Float) -> [Float] {
    let m = Float(modulus)
    return (0..<count).map { Float($0 % modulus) / m + offset }
}

/// A tensor of `shape` filled with ``pattern(_:modulus:offset:)``.
func patternTensor(_ shape: [Int], modulus: Int, offset: Float, requiresGrad: Bool = false) -> Tensor<Float> {
    try! Tensor(pattern(shape.reduce(1, *), modulus: modulus, offset: offset), shape: shape, requiresGrad: requiresGrad)
}

/// Sizes of the elementwise and reduction workloads: L1/L2, L2/L3, L3, DRAM (2× the L3).
let streamSizes = [1_000, 100_000, 1_000_000, 16_000_000]
