import Arena
import TensorCore

// The nodes of an in-place op through a view (Note [In-place on views]): the base becomes
// CopySlices of its old value and the op's result, the view AsStridedBackward0 of the new base.
// Both keep the view's geometry relative to the base: `shape0` the view's shape, `shape1` its
// strides, `dim` its offset past the base's first element, `indices` the base's shape.

enum CopySlices: OpDefinition {
    static let name = "CopySlices"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// Inputs: the base's old value (its gradient outside the view's region) and the op's
    /// result (the gradient inside it). A view whose elements share positions (`fill`/`zero`
    /// through an expanded view) can't take the result's gradient: PyTorch raises here, at
    /// backward, with the internal-overlap message, and so does this.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let region = Region(shape: c.shape0, strides: c.shape1, offset: c.dim)
        for d in region.shape.indices where region.strides[d] == 0 && region.shape[d] > 1 {
            trap(DenseTensor<V.Scalar>.internalOverlapMessage)
        }
        return (c.first { c.grad.zeroed(in: region) }, c.second { c.grad.read(in: region) })
    }
}

enum AsStrided: OpDefinition {
    static let name = "AsStridedBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static let isView = true
    /// The base's gradient: the view's in its region, zero elsewhere. A view whose elements share
    /// positions (an expanded one, stride 0) adds the gradients of the elements at one position,
    /// as PyTorch's `as_strided_backward` does: summed over those dimensions first, then placed.
    @_specialize(where V == DenseTensor<Float>)
    @_specialize(where V == DenseTensor<Double>)
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.grad.placed(in: Region(shape: c.shape0, strides: c.shape1, offset: c.dim), of: c.indices), nil)
    }
}

/// A view's elements inside its base, as the nodes keep them: the positions `offset + Σ iₖ·strides[k]`
/// of a row-major buffer of the base's shape.
struct Region {
    let shape: [Int]
    let strides: [Int]
    let offset: Int

    /// The positions, in the view's row-major order.
    var positions: [Int] {
        var out = [Int]()
        out.reserveCapacity(Shape.count(shape))
        func walk(_ d: Int, _ at: Int) {
            guard d < shape.count else { out.append(at); return }
            for i in 0..<shape[d] { walk(d + 1, at + i * strides[d]) }
        }
        walk(0, offset)
        return out
    }
}

// MARK: - the derivatives' operations, in both interpretations

extension DenseTensor where Scalar: TensorScalar {
    /// The gradient (of the base's shape) with the region's elements zero.
    func zeroed(in region: Region) -> DenseTensor {
        let outside = copied()   // row-major whatever the layout, and one copy either way
        outside.asStrided(region.shape, strides: region.strides, offset: region.offset).fill(0)
        return outside
    }

    /// The region's elements of the gradient (of the base's shape): a view.
    func read(in region: Region) -> DenseTensor {
        contiguous().asStrided(region.shape, strides: region.strides, offset: region.offset)
    }

    /// Zeros of `baseShape` with this value (of the region's shape) in the region. Elements that
    /// share a position (stride 0, an expanded view) add up, as PyTorch's `as_strided_backward`:
    /// summed over those dimensions first, then placed.
    func placed(in region: Region, of baseShape: [Int]) -> DenseTensor {
        let out = DenseTensor(shape: baseShape, repeating: 0)
        var (grad, shape) = (self, region.shape)
        for d in shape.indices where region.strides[d] == 0 && shape[d] > 1 {
            grad = grad.sum(dim: d, keepDim: true)
            shape[d] = 1
        }
        out.asStrided(shape, strides: region.strides, offset: region.offset).assign(grad)
        return out
    }
}

extension Tensor where Scalar: TensorScalar {
    func zeroed(in region: Region) -> Tensor { zeroed(atFlatPositions: region.positions) }

    /// A gather of the region's positions (a copy, where the dense one is a view: the same values).
    func read(in region: Region) -> Tensor {
        contiguous().reshaped([count]).indexSelected(dim: 0, positions: region.positions).reshaped(region.shape)
    }

    /// An `indexAdded` at the region's positions: shared positions add up by themselves.
    func placed(in region: Region, of baseShape: [Int]) -> Tensor {
        let flat = Shape.count(baseShape)
        return Tensor.zeros(shaped: [flat]).indexAdded(dim: 0, positions: region.positions, source: reshaped([count]))
            .reshaped(baseShape)
    }
}
