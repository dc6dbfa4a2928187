/// Random tensors. Each thread has its own default generator, so that seeded runs on several
/// threads are reproducible; pass a generator of your own for full control.
extension Tensor where Scalar: TensorScalar {
    /// Seeds this thread's default generator (PyTorch's `torch.manual_seed`).
    public static func manualSeed(_ seed: UInt64) {
        ThreadContext.current.generator = RandomGenerator(seed: seed)
    }

    /// Standard normal samples from this thread's default generator (PyTorch's `torch.randn`).
    public static func randn(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        checkFactoryShape(shape)
        return Tensor(data: .randn(shape, using: &ThreadContext.current.generator), requiresGrad: requiresGrad)
    }

    /// Standard normal samples from `generator`.
    public static func randn(_ shape: [Int], using generator: inout RandomGenerator, requiresGrad: Bool = false) -> Tensor {
        checkFactoryShape(shape)
        return Tensor(data: .randn(shape, using: &generator), requiresGrad: requiresGrad)
    }

    /// Uniform samples in [0, 1) from this thread's default generator (PyTorch's `torch.rand`).
    public static func rand(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        checkFactoryShape(shape)
        return Tensor(data: .rand(shape, using: &ThreadContext.current.generator), requiresGrad: requiresGrad)
    }

    /// Uniform samples in [0, 1) from `generator`.
    public static func rand(_ shape: [Int], using generator: inout RandomGenerator, requiresGrad: Bool = false) -> Tensor {
        checkFactoryShape(shape)
        return Tensor(data: .rand(shape, using: &generator), requiresGrad: requiresGrad)
    }
}
