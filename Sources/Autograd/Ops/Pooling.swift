import Arena
import TensorCore

// 2-D pooling (PyTorch's `max_pool2d`, `avg_pool2d`) over the last two dimensions of a 3-D or
// 4-D input. Max pooling keeps each maximum's position in its plane; its derivative adds the
// gradient there, a `scatterAdd` when recorded (whose own derivative is a `gather`). Average
// pooling's derivative spreads the gradient over each window, a linear map whose derivative is
// average pooling again: AvgPool2D and AvgPool2DBackward, each the other's derivative.

enum MaxPool2D: OpDefinition {
    static let name = "MaxPool2DWithIndicesBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        // Indices: the geometry, then each output element's maximum's position in its plane.
        (c.first { c.grad.maxPoolBackward(positions: c.indices, inputShape: c.shape0) }, nil)
    }
}

enum AvgPool2D: OpDefinition {
    static let name = "AvgPool2DBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.grad.avgPoolBackward(inputShape: c.shape0, PoolGeometry(encoded: c.indices)) }, nil)
    }
}

/// Average pooling's derivative as a recorded op: its input is the pooled gradient.
enum AvgPool2DBackward: OpDefinition {
    static let name = "AvgPool2DBackwardBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { c.grad.avgPooled(PoolGeometry(encoded: c.indices)) }, nil)
    }
}

/// 2-D max pooling (MaxPool2DWithIndicesBackward0), PyTorch's `torch.nn.functional.max_pool2d`
/// with `ceil_mode=False` and no dilation: the maximum of each `kernelSize × kernelSize` window
/// of the last two dimensions of `input` (`[N, C, H, W]` or `[C, H, W]`), windows `stride` apart
/// (`kernelSize` when `nil`), the input padded with `padding` of −∞ on each side. On ties the
/// gradient goes to the first maximum, as PyTorch's.
///
/// ```swift
/// let y = maxPool2d(x, kernelSize: 2)   // [32, 16, 32, 32] → [32, 16, 16, 16]
/// ```
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func maxPool2d<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, kernelSize: Int, stride: Int? = nil, padding: Int = 0
) -> Tensor<Scalar> {
    trapUnless((input.rank == 3 || input.rank == 4) && !input.shape.dropFirst(input.rank - 3).contains(0),
               "non-empty 3D or 4D (batch mode) tensor expected for input")
    let geometry = poolGeometry(input, kernelSize: kernelSize, stride: stride, padding: padding)
    let (value, positions) = input.data.maxPooled(geometry, prefixingGeometry: true)
    return Tensor.record(value, MaxPool2D.self, input, nil, Saved(shapes: (input.shape, nil), indices: positions))
}

/// 2-D average pooling (AvgPool2DBackward0), PyTorch's `torch.nn.functional.avg_pool2d` with
/// `ceil_mode=False` and `count_include_pad=True`: the mean of each `kernelSize × kernelSize`
/// window of the last two dimensions of `input` (`[N, C, H, W]` or `[C, H, W]`), windows
/// `stride` apart (`kernelSize` when `nil`), the input padded with `padding` zeros on each side
/// (which count in the mean).
///
/// ```swift
/// let y = avgPool2d(x, kernelSize: 3, stride: 1, padding: 1)   // [N, C, H, W] → [N, C, H, W]
/// ```
@_specialize(exported: true, where Scalar == Float)
@_specialize(exported: true, where Scalar == Double)
public func avgPool2d<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, kernelSize: Int, stride: Int? = nil, padding: Int = 0
) -> Tensor<Scalar> {
    trapUnless(input.rank >= 2, "Dimension out of range (expected to be in range of [-\(input.rank), \(input.rank - 1)], but got -3)")
    trapUnless((input.rank == 3 || input.rank == 4) && !input.shape.dropFirst(input.rank - 3).contains(0),
               "non-empty 3D or 4D (batch mode) tensor expected for input")
    let geometry = poolGeometry(input, kernelSize: kernelSize, stride: stride, padding: padding)
    return input.avgPooled(geometry)
}

/// The geometry of a 2-D pooling of `input`, checked as PyTorch checks it.
private func poolGeometry<Scalar: TensorScalar>(
    _ input: Tensor<Scalar>, kernelSize: Int, stride: Int?, padding: Int
) -> PoolGeometry {
    let stride = stride ?? kernelSize
    trapUnless(stride != 0, "stride should not be zero")
    trapUnless(kernelSize > 0 && stride > 0,
               "kernel_size and stride must be positive, but got kernel_size=\(kernelSize) and stride=\(stride)")
    trapUnless(padding >= 0 && padding <= kernelSize / 2,
               "pad should be at most half of effective kernel size, but got pad=\(padding), kernel_size=\(kernelSize) and dilation=1")
    let (c, h, w) = (input.shape[input.rank - 3], input.shape[input.rank - 2], input.shape[input.rank - 1])
    let geometry = PoolGeometry(planes: input.count / Swift.max(h * w, 1), height: h, width: w,
                                kernel: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding))
    // PyTorch's `pooling_output_shape`: a floor division, so a window wider than the padded input gives 0.
    func outSize(_ size: Int) -> Int {
        let span = size + 2 * padding - kernelSize
        return (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1
    }
    let (oh, ow) = (outSize(h), outSize(w))
    trapUnless(oh >= 1 && ow >= 1,
               "Given input size: (\(c)x\(h)x\(w)). Calculated output size: (\(c)x\(Swift.max(oh, 0))x\(Swift.max(ow, 0))). Output size is too small")
    return geometry
}

// MARK: - the derivatives' operations, in both interpretations

extension DenseTensor where Scalar: TensorScalar {
    /// `positions`: the pooling's geometry (`PoolGeometry.encoded`), then each output element's
    /// maximum's position in its plane.
    func maxPoolBackward(positions: [Int], inputShape: [Int]) -> DenseTensor {
        let g = PoolGeometry(encoded: positions)
        return maxPoolBackward(indices: positions, from: PoolGeometry.encodedCount, inputShape: inputShape, g)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The gradient added at each maximum's position: a `scatterAdd` into zeros, recorded.
    func maxPoolBackward(positions: [Int], inputShape: [Int]) -> Tensor {
        let g = PoolGeometry(encoded: positions)
        let (hw, ohw) = (g.height * g.width, g.outHeight * g.outWidth)
        let index = try! DenseTensor<Int>(scalars: Array(positions.dropFirst(PoolGeometry.encodedCount)), shape: [g.planes, ohw])
        return Tensor.zeros(shaped: [g.planes, hw])
            .scatterAdd(dim: 1, index: Tensor<Int>(data: index), source: reshaped([g.planes, ohw]))
            .reshaped(inputShape)
    }

    /// Average pooling, recorded (AvgPool2D).
    func avgPooled(_ g: PoolGeometry) -> Tensor {
        Tensor.record(data.avgPooled(g), AvgPool2D.self, self, nil, Saved(shapes: (shape, nil), indices: g.encoded))
    }

    /// Average pooling's derivative, recorded (AvgPool2DBackward).
    func avgPoolBackward(inputShape: [Int], _ g: PoolGeometry) -> Tensor {
        Tensor.record(data.avgPoolBackward(inputShape: inputShape, g), AvgPool2DBackward.self, self, nil,
                      Saved(indices: g.encoded))
    }
}
