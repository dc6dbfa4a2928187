import Arena

/// A 2-D convolution layer (PyTorch's `nn.Conv2d`, `padding_mode='zeros'`).
///
/// `weight` is `[outChannels, inChannels / groups, kernelSize, kernelSize]` and `bias`
/// `[outChannels]`, initialized as PyTorch does: uniform in `±1/√fanIn`, `fanIn = inChannels /
/// groups · kernelSize²` (kaiming-uniform with `a = √5`, and the bias's bound).
///
/// ```swift
/// let conv = Conv2d<Float>(inChannels: 3, outChannels: 16, kernelSize: 3, padding: 1)
/// let y = conv(x)            // x: [32, 3, 32, 32] → y: [32, 16, 32, 32], grad_fn ConvolutionBackward0
/// ```
public final class Conv2d<Scalar: TensorScalar>: Module {
    /// The `[outChannels, inChannels / groups, kH, kW]` weight, which requires grad.
    public let weight: Tensor<Scalar>
    /// The `[outChannels]` bias, which requires grad, or `nil` for a layer made with `bias: false`.
    public let bias: Tensor<Scalar>?
    /// The convolution's stride, padding, dilation and groups, as PyTorch's layer keeps them.
    public let stride: Int, padding: Int, dilation: Int, groups: Int
    /// No effect on the computation; kept for ``Module``.
    public var isTraining = true

    /// A layer with PyTorch's default initialization from this thread's default generator.
    public convenience init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        var generator = ThreadContext.current.generator
        self.init(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
                  padding: padding, dilation: dilation, groups: groups, bias: bias, using: &generator)
        ThreadContext.current.generator = generator
    }

    /// A layer with PyTorch's default initialization from `generator`.
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, using generator: inout RandomGenerator) {
        let shape = convolutionWeightShape(inChannels, outChannels, [kernelSize, kernelSize], groups: groups)
        (weight, self.bias) = initialConvolutionParameters(shape, bias: bias, using: &generator)
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
    }

    /// `"weight"`, then `"bias"` if there is one: PyTorch's `state_dict` keys.
    public var namedParameters: [(String, Tensor<Scalar>)] {
        if let bias { return [("weight", weight), ("bias", bias)] }
        return [("weight", weight)]
    }

    /// ``conv2d(_:weight:bias:stride:padding:dilation:groups:)`` with the layer's parameters.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// A 1-D convolution layer (PyTorch's `nn.Conv1d`, `padding_mode='zeros'`): `weight`
/// `[outChannels, inChannels / groups, kernelSize]`, `bias` `[outChannels]`, initialized as
/// ``Conv2d``'s.
///
/// ```swift
/// let conv = Conv1d<Float>(inChannels: 4, outChannels: 8, kernelSize: 5, padding: 2)
/// let y = conv(x)            // x: [N, 4, L] → y: [N, 8, L]
/// ```
public final class Conv1d<Scalar: TensorScalar>: Module {
    /// The `[outChannels, inChannels / groups, k]` weight, which requires grad.
    public let weight: Tensor<Scalar>
    /// The `[outChannels]` bias, which requires grad, or `nil` for a layer made with `bias: false`.
    public let bias: Tensor<Scalar>?
    /// The convolution's stride, padding, dilation and groups, as PyTorch's layer keeps them.
    public let stride: Int, padding: Int, dilation: Int, groups: Int
    /// No effect on the computation; kept for ``Module``.
    public var isTraining = true

    /// A layer with PyTorch's default initialization from this thread's default generator.
    public convenience init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        var generator = ThreadContext.current.generator
        self.init(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
                  padding: padding, dilation: dilation, groups: groups, bias: bias, using: &generator)
        ThreadContext.current.generator = generator
    }

    /// A layer with PyTorch's default initialization from `generator`.
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, using generator: inout RandomGenerator) {
        let shape = convolutionWeightShape(inChannels, outChannels, [kernelSize], groups: groups)
        (weight, self.bias) = initialConvolutionParameters(shape, bias: bias, using: &generator)
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
    }

    /// `"weight"`, then `"bias"` if there is one: PyTorch's `state_dict` keys.
    public var namedParameters: [(String, Tensor<Scalar>)] {
        if let bias { return [("weight", weight), ("bias", bias)] }
        return [("weight", weight)]
    }

    /// ``conv1d(_:weight:bias:stride:padding:dilation:groups:)`` with the layer's parameters.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        conv1d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// The weight shape of a convolution layer, checked as `nn.Conv*d` checks its arguments.
private func convolutionWeightShape(_ inChannels: Int, _ outChannels: Int, _ kernel: [Int], groups: Int) -> [Int] {
    trapUnless(groups > 0, "groups must be a positive integer")
    trapUnless(inChannels % groups == 0, "in_channels must be divisible by groups")
    trapUnless(outChannels % groups == 0, "out_channels must be divisible by groups")
    trapUnless(inChannels >= 0 && outChannels >= 0 && !kernel.contains { $0 <= 0 },
               "Conv: sizes must be positive, got in \(inChannels), out \(outChannels), kernel \(kernel)")
    return [outChannels, inChannels / groups] + kernel
}

/// Weight and bias uniform in `±1/√fanIn` (PyTorch's `_ConvNd.reset_parameters`), weight first.
private func initialConvolutionParameters<Scalar: TensorScalar>(
    _ shape: [Int], bias: Bool, using generator: inout RandomGenerator
) -> (Tensor<Scalar>, Tensor<Scalar>?) {
    let fanIn = shape.dropFirst().reduce(1, *)
    let bound = fanIn > 0 ? 1 / Scalar(fanIn).squareRoot() : 0
    let weight = Tensor(data: DenseTensor<Scalar>.rand(shape, low: -bound, high: bound, using: &generator), requiresGrad: true)
    let b = bias
        ? Tensor(data: DenseTensor<Scalar>.rand([shape[0]], low: -bound, high: bound, using: &generator), requiresGrad: true)
        : nil
    return (weight, b)
}

/// A 2-D max pooling layer (PyTorch's `nn.MaxPool2d`): ``maxPool2d(_:kernelSize:stride:padding:)``.
public final class MaxPool2d<Scalar: TensorScalar>: Module {
    /// The window's size, its stride (`nil`: the window's size) and the padding.
    public let kernelSize: Int, stride: Int?, padding: Int
    /// No effect on the computation; kept for ``Module``.
    public var isTraining = true

    /// Windows `stride` apart (`kernelSize` when `nil`, as PyTorch's default).
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride, padding)
    }

    /// None.
    public var namedParameters: [(String, Tensor<Scalar>)] { [] }

    /// ``maxPool2d(_:kernelSize:stride:padding:)`` with the layer's settings.
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        maxPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding)
    }
}

/// A 2-D average pooling layer (PyTorch's `nn.AvgPool2d`): ``avgPool2d(_:kernelSize:stride:padding:)``.
public final class AvgPool2d<Scalar: TensorScalar>: Module {
    /// The window's size, its stride (`nil`: the window's size) and the padding.
    public let kernelSize: Int, stride: Int?, padding: Int
    /// No effect on the computation; kept for ``Module``.
    public var isTraining = true

    /// Windows `stride` apart (`kernelSize` when `nil`, as PyTorch's default).
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride, padding)
    }

    /// None.
    public var namedParameters: [(String, Tensor<Scalar>)] { [] }

    /// ``avgPool2d(_:kernelSize:stride:padding:)`` with the layer's settings.
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        avgPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding)
    }
}
