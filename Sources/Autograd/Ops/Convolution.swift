import Arena
import TensorCore

// Convolutions (PyTorch's `conv1d`, `conv2d`): one node for the product of input and weight,
// ConvolutionBackward0, and, when the bias needs a gradient, a second one of that name on top
// (as `linear` records its bias), whose derivative is the output's gradient summed over all but
// the channels. The kernels are TensorCore's im2col and GEMM (Note [Convolution by im2col]), or
// its implicit GEMM (Note [Implicit convolution]) in single precision on AVX-512.
//
// The derivatives are linear in each operand, and so are their derivatives: with `conv(x, w)`,
// its input's gradient `convT(G, w)` (a transposed convolution) and its weight's `convW(x, G)`,
//
//     conv(x, w):   ∂x = convT(G, w)     ∂w = convW(x, G)
//     convT(G, w):  ∂G = conv(H, w)      ∂w = convW(H, G)
//     convW(x, G):  ∂x = convT(G, H)     ∂G = conv(x, H)
//
// (H the gradient arriving at each), so three recorded ops close the family under
// differentiation: the gradients a recorded sweep forms are ConvolutionBackwardBackward0 nodes,
// PyTorch's name for them, and differentiate again.

enum Convolution: OpDefinition {
    static let name = "ConvolutionBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        // Inputs: 0 = x [N, C, (H,) W], 1 = weight [O, C/groups, (kH,) kW].
        let g = ConvolutionGeometry(encoded: c.indices)
        return (c.first { c.grad.convolutionInputGradient(weight: c.saved1, geometry: g, inputShape: c.inputShape0) },
                c.second { c.grad.convolutionWeightGradient(input: c.saved0, geometry: g, weightShape: c.inputShape1) })
    }
}

enum ConvolutionBias: OpDefinition {
    static let name = "ConvolutionBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        // Inputs: 0 = the product (the Convolution node), 1 = bias [O], whose shape the node keeps.
        (c.grad, c.second { c.grad.convolutionBiasGradient(shape: c.shape1) })
    }
}

/// `convT(G, w)`, a convolution's input gradient as a recorded op (inputs 0 = G, 1 = weight).
enum ConvolutionInputGradient: OpDefinition {
    static let name = "ConvolutionBackwardBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let g = ConvolutionGeometry(encoded: c.indices)
        return (c.first { c.grad.convolved(weight: c.saved1, geometry: g) },
                c.second { c.saved0.convolutionWeightGradient(input: c.grad, geometry: g, weightShape: c.inputShape1) })
    }
}

/// `convW(x, G)`, a convolution's weight gradient as a recorded op (inputs 0 = G, 1 = x).
enum ConvolutionWeightGradient: OpDefinition {
    static let name = "ConvolutionBackwardBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let g = ConvolutionGeometry(encoded: c.indices)
        return (c.first { c.saved1.convolved(weight: c.grad, geometry: g) },
                c.second { c.saved0.convolutionInputGradient(weight: c.grad, geometry: g, inputShape: c.inputShape1) })
    }
}

/// A 2-D convolution (ConvolutionBackward0), PyTorch's `torch.nn.functional.conv2d`: `input`
/// `[N, C, H, W]` (or `[C, H, W]`, unbatched), `weight` `[O, C / groups, kH, kW]`, `bias` `[O]`;
/// the output is `[N, O, oH, oW]` with `oH = (H + 2·padding − dilation·(kH − 1) − 1) / stride + 1`.
///
/// Computed as a GEMM whose column buffer (im2col) is read straight from the input where the CPU
/// has AVX-512 (single precision, width stride 1), else formed; images split across threads,
/// with the same bits on any thread count. The gradients of input, weight and bias are themselves
/// differentiable (ConvolutionBackwardBackward0). Shapes and parameters that PyTorch refuses trap
/// with its message.
///
/// ```swift
/// let y = conv2d(x, weight: w, bias: b, stride: 1, padding: 1)   // [32, 3, 32, 32] → [32, 16, 32, 32]
/// ```
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func conv2d<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil,
    stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1
) -> Tensor<Scalar> {
    guard input.rank == 4, weight.rank == 4 else {
        return convolution(input, weight: weight, bias: bias, stride: [stride, stride], padding: [padding, padding],
                           dilation: [dilation, dilation], groups: groups, spatialRank: 2)
    }
    return convolution(input, weight: weight, bias: bias, stride: (stride, stride), padding: (padding, padding),
                       dilation: (dilation, dilation), groups: groups, spatialRank: 2)
}

/// ``conv2d(_:weight:bias:stride:padding:dilation:groups:)`` with a stride, padding and dilation
/// per spatial dimension (`[h, w]`; a single value stands for both, as in PyTorch).
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func conv2d<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil,
    stride: [Int], padding: [Int] = [0, 0], dilation: [Int] = [1, 1], groups: Int = 1
) -> Tensor<Scalar> {
    convolution(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                groups: groups, spatialRank: 2)
}

/// A 1-D convolution (ConvolutionBackward0), PyTorch's `torch.nn.functional.conv1d`: `input`
/// `[N, C, L]` (or `[C, L]`, unbatched), `weight` `[O, C / groups, k]`, `bias` `[O]`; the output
/// is `[N, O, oL]` with `oL = (L + 2·padding − dilation·(k − 1) − 1) / stride + 1`.
///
/// ```swift
/// let y = conv1d(x, weight: w, bias: b, stride: 2)   // [8, 4, 100] → [8, 6, 49] for k = 3
/// ```
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func conv1d<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil,
    stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1
) -> Tensor<Scalar> {
    guard input.rank == 3, weight.rank == 3 else {
        return convolution(input, weight: weight, bias: bias, stride: [stride], padding: [padding],
                           dilation: [dilation], groups: groups, spatialRank: 1)
    }
    return convolution(input, weight: weight, bias: bias, stride: (1, stride), padding: (0, padding),
                       dilation: (1, dilation), groups: groups, spatialRank: 1)
}

/// ``conv1d(_:weight:bias:stride:padding:dilation:groups:)`` with one-element lists, as PyTorch
/// accepts them.
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func conv1d<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil,
    stride: [Int], padding: [Int] = [0], dilation: [Int] = [1], groups: Int = 1
) -> Tensor<Scalar> {
    convolution(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                groups: groups, spatialRank: 1)
}

/// The convolution of `conv1d` (`spatialRank` 1) and `conv2d` (2) given lists, checked as
/// PyTorch checks them, in its order: the input's rank, then each list against the weight's
/// rank (`expand_param_if_needed`), then the rest (the tuple form's checks). The `Int`
/// overloads come here only for a rank PyTorch refuses or an unbatched input; a batched call
/// with a weight of the right rank checks the same things without making a list.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func convolution<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>?,
    stride: [Int], padding: [Int], dilation: [Int], groups: Int, spatialRank: Int
) -> Tensor<Scalar> {
    checkConvolutionInputRank(input, spatialRank: spatialRank)
    if input.rank == spatialRank + 1 {
        // PyTorch's unbatched form: a batch of one, squeezed again (SqueezeBackward1).
        return convolution(input.unsqueezed(dim: 0), weight: weight, bias: bias, stride: stride, padding: padding,
                           dilation: dilation, groups: groups, spatialRank: spatialRank).squeezed(dim: 0)
    }
    // PyTorch's `expand_param_if_needed`: the dimensions are the weight's, less two.
    let dims = Swift.max(weight.rank - 2, 0)
    func expanded(_ p: [Int], _ name: String) -> [Int] {
        if p.count == 1 { return Array(repeating: p[0], count: spatialRank) }
        trapUnless(p.count == dims,
                   "expected \(name) to be a single integer value or a list of \(dims) values to match the convolution dimensions, but got \(name)=\(p)")
        return p
    }
    let (s, p, d) = (expanded(stride, "stride"), expanded(padding, "padding"), expanded(dilation, "dilation"))
    guard s.count == spatialRank, p.count == spatialRank, d.count == spatialRank else {
        // Lists as long as the weight's dimensions, which are not the convolution's: a weight of
        // the wrong rank, refused after the signs are checked.
        checkConvolutionSigns(negativePadding: p.contains { $0 < 0 }, nonPositiveStride: s.contains { $0 <= 0 },
                              nonPositiveDilation: d.contains { $0 <= 0 })
        trap(convolutionWeightRankMessage(dims: dims, stride: s))
    }
    // A 1-D convolution is a 2-D one of height 1.
    func pair(_ v: [Int], _ neutral: Int) -> (Int, Int) { spatialRank == 2 ? (v[0], v[1]) : (neutral, v[0]) }
    return convolution(input, weight: weight, bias: bias, stride: pair(s, 1), padding: pair(p, 0),
                       dilation: pair(d, 1), groups: groups, spatialRank: spatialRank)
}

/// The convolution of a batched `input` with stride, padding and dilation along (height, width),
/// a 1-D convolution's height entries neutral (1, 0, 1): the rest of PyTorch's checks, then the
/// kernel and the nodes. Nothing here allocates but the output (storage, shape, `Tensor`) and
/// the saved geometry.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func convolution<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>?,
    stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int, spatialRank: Int
) -> Tensor<Scalar> {
    // The messages print the values as PyTorch's lists: one per spatial dimension.
    func listed(_ v: (Int, Int)) -> [Int] { spatialRank == 2 ? [v.0, v.1] : [v.1] }
    checkConvolutionSigns(negativePadding: padding.0 < 0 || padding.1 < 0, nonPositiveStride: stride.0 <= 0 || stride.1 <= 0,
                          nonPositiveDilation: dilation.0 <= 0 || dilation.1 <= 0)
    trapUnless(weight.rank == spatialRank + 2,
               convolutionWeightRankMessage(dims: Swift.max(weight.rank - 2, 0), stride: listed(stride)))
    trapUnless(groups > 0, "non-positive groups is not supported")
    trapUnless(weight.shape[0] % groups == 0,
               "Given groups=\(groups), expected weight to be divisible by \(groups) at dimension 0, but got weight of size [\(weight.shape)] instead")
    trapUnless(input.shape[1] == weight.shape[1] * groups,
               "Given groups=\(groups), weight of size \(weight.shape), expected input\(input.shape) to have \(weight.shape[1] * groups) channels, but got \(input.shape[1]) channels instead")
    if let bias {
        trapUnless(bias.rank == 1 && bias.shape[0] == weight.shape[0],
                   "Given weight of size \(weight.shape), expected bias to be 1-dimensional with \(weight.shape[0]) elements, but got bias of size \(bias.shape) instead")
    }
    let (h, w) = spatialRank == 2 ? (input.shape[2], input.shape[3]) : (1, input.shape[2])
    let (kh, kw) = spatialRank == 2 ? (weight.shape[2], weight.shape[3]) : (1, weight.shape[2])
    let padded = (h + 2 * padding.0, w + 2 * padding.1)
    let effective = (dilation.0 * (kh - 1) + 1, dilation.1 * (kw - 1) + 1)
    trapUnless(padded.0 >= effective.0 && padded.1 >= effective.1,
               "Calculated padded input size per channel: (\(listed(padded).map(String.init).joined(separator: " x "))). Kernel size: (\(listed(effective).map(String.init).joined(separator: " x "))). Kernel size can't be greater than actual input size")
    let geometry = ConvolutionGeometry(
        spatialRank: spatialRank, batch: input.shape[0], inChannels: input.shape[1], height: h, width: w,
        outChannels: weight.shape[0], kernelHeight: kh, kernelWidth: kw, stride: stride, padding: padding,
        dilation: dilation, groups: groups)
    let value = input.data.convolved(weight: weight.data, bias: bias?.data, geometry: geometry)
    guard let bias, bias.requiresGrad else {
        return Tensor.recordProduct(value, Convolution.self, input, weight, indices: geometry.encoded)
    }
    // The product's node, then the bias's (which keeps the bias's shape), no tensor between.
    return Tensor.recordProduct(value, Convolution.self, input, weight, filling: { node, segment in
        var saved = Saved.inputs(input, keeping: weight.requiresGrad, weight, keeping: input.requiresGrad)
        saved.indices = geometry.encoded
        Tensor.store(&saved, in: &node, segment: segment)
    }, thenBias: ConvolutionBias.self, bias, filling: { node, segment in node.shapes.1 = segment.keep(bias.shape) })
}

private func checkConvolutionInputRank<Scalar>(_ input: Tensor<Scalar>, spatialRank: Int) {
    trapUnless(input.rank == spatialRank + 1 || input.rank == spatialRank + 2,
               "Expected \(spatialRank + 1)D (unbatched) or \(spatialRank + 2)D (batched) input to conv\(spatialRank)d, but got input of size: \(input.shape)")
}

private func checkConvolutionSigns(negativePadding: Bool, nonPositiveStride: Bool, nonPositiveDilation: Bool) {
    trapUnless(!negativePadding, "negative padding is not supported")
    trapUnless(!nonPositiveStride, "non-positive stride is not supported")
    trapUnless(!nonPositiveDilation, "non-positive dilation is not supported")
}

private func convolutionWeightRankMessage(dims: Int, stride: [Int]) -> String {
    "expected stride to be a single integer value or a list of \(dims) values to match the convolution dimensions, but got stride=\(stride)"
}

extension Tensor where Scalar: TensorScalar {
    /// `record` for a product of `a` and `b` that keeps each factor for the other's gradient
    /// (as `record(_:_:product:_:)`) and `indices` (a geometry).
    @inline(__always)
    static func recordProduct<Op: OpDefinition>(
        _ value: __owned DenseTensor<Scalar>, _ op: Op.Type, _ a: Tensor, _ b: Tensor, indices: [Int]
    ) -> Tensor {
        record(value, op, a, b, {
            var saved = Saved.inputs(a, keeping: b.requiresGrad, b, keeping: a.requiresGrad)
            saved.indices = indices
            return saved
        }())
    }
}

// MARK: - the derivatives' operations, in both interpretations

extension DenseTensor where Scalar: TensorScalar {
    func convolved(weight: DenseTensor, geometry: ConvolutionGeometry) -> DenseTensor {
        convolved(weight: weight, bias: nil, geometry: geometry)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `conv(self, weight)` without a bias, recorded (Convolution).
    func convolved(weight: Tensor, geometry: ConvolutionGeometry) -> Tensor {
        let value = data.convolved(weight: weight.data, bias: nil, geometry: geometry)
        return Tensor.recordProduct(value, Convolution.self, self, weight, indices: geometry.encoded)
    }

    /// `convT(self, weight)`, `self` an output's gradient, recorded (ConvolutionInputGradient).
    func convolutionInputGradient(weight: Tensor, geometry: ConvolutionGeometry, inputShape: [Int]?) -> Tensor {
        let value = data.convolutionInputGradient(weight: weight.data, geometry: geometry, inputShape: inputShape)
        return Tensor.recordProduct(value, ConvolutionInputGradient.self, self, weight, indices: geometry.encoded)
    }

    /// `convW(input, self)`, `self` an output's gradient, recorded (ConvolutionWeightGradient).
    func convolutionWeightGradient(input: Tensor, geometry: ConvolutionGeometry, weightShape: [Int]?) -> Tensor {
        let value = data.convolutionWeightGradient(input: input.data, geometry: geometry, weightShape: weightShape)
        return Tensor.recordProduct(value, ConvolutionWeightGradient.self, self, input, indices: geometry.encoded)
    }

    /// The bias's gradient: sums over every dimension but 1, recorded (the sums make the shape).
    func convolutionBiasGradient(shape _: [Int]?) -> Tensor {
        var summed = sum(dim: 0, keepDim: false)
        while summed.rank > 1 { summed = summed.sum(dim: summed.rank - 1, keepDim: false) }
        return summed
    }
}
