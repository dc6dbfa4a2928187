import Arena
import TensorCore

// Selecting by an index tensor: index_select, gather, and scatter_add (gather's adjoint). Each
// node keeps the index's values (the segment's `indices` table) and the shapes its derivative
// needs; the index is an `Int` tensor, never a graph input. A repeated index sends several
// output gradients to one input element: the derivatives add them (index_add, scatter_add),
// never copy them.

// MARK: - indexSelect

enum IndexSelect: OpDefinition {
    static let name = "IndexSelectBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// `zeros(self).index_add(dim, index, grad)` (derivatives.yaml's `index_select_backward`).
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first { V.zeros(shaped: c.shape0).indexAdded(dim: c.dim, positions: c.indices, source: c.grad) }, nil)
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The slices at `index`'s positions along `dim`, in its order, repeats included
    /// (IndexSelectBackward0), PyTorch's `index_select`: the result has `index.count` slices
    /// along `dim`. A copy.
    ///
    /// ```swift
    /// let x = try Tensor<Float>([[1, 2], [3, 4], [5, 6]], requiresGrad: true)
    /// let rows = x.indexSelect(dim: 0, index: Tensor<Int>([2, 0, 2]))   // [[5, 6], [1, 2], [5, 6]]
    /// ```
    ///
    /// `index` is 0-d or 1-d, its positions in `0..<shape[dim]` (no negatives); traps with
    /// PyTorch's messages otherwise ("index out of range in self", or, along dim 1 of a tensor
    /// of rank 2 or more, where PyTorch's CPU kernel takes another path, "INDICES element is out
    /// of DATA bounds, id=3 axis_dim=3").
    public func indexSelect(dim: Int, index: Tensor<Int>) -> Tensor {
        let (axis, positions) = indexSelectPositions(dim: dim, index: index)
        return Tensor.record(data.indexSelected(dim: axis, positions: positions), IndexSelect.self, self, nil,
                             Saved(shapes: (shape, nil), indices: positions, dim: axis))
    }
}

// MARK: - gather

enum Gather: OpDefinition {
    static let name = "GatherBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// `zeros(self).scatter_add(dim, index, grad)`; the index has the gradient's shape.
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        (c.first {
            let index = try! DenseTensor<Int>(scalars: c.indices, shape: c.grad.shape)
            return V.zeros(shaped: c.shape0).scatterAdded(dim: c.dim, index: index, source: c.grad)
        }, nil)
    }
}

/// PyTorch's `ensure_nonempty_size`: a 0-d tensor has one dimension of size 1.
private func nonemptySize(_ shape: [Int], _ d: Int) -> Int { shape.isEmpty ? 1 : shape[d] }

extension Tensor where Scalar: TensorScalar {
    /// The elements that `index` picks along `dim` (GatherBackward0), PyTorch's `gather`: for
    /// `dim` 1 of a matrix, `out[i][j] = self[i][index[i][j]]`. The result has the index's shape;
    /// a copy.
    ///
    /// ```swift
    /// let x = try Tensor<Float>([[1, 2], [3, 4]], requiresGrad: true)
    /// x.gather(dim: 1, index: try Tensor<Int>([[1, 1], [0, 1]]))   // [[2, 2], [3, 4]]
    /// ```
    ///
    /// `index` has this tensor's rank and is no larger in any dimension but `dim`; its values are
    /// in `0..<shape[dim]` (no negatives). Traps with PyTorch's messages otherwise.
    public func gather(dim: Int, index: Tensor<Int>) -> Tensor {
        let axis = gatherAxis(dim: dim, index: index)
        return Tensor.record(data.gathered(dim: axis, index: index.data), Gather.self, self, nil,
                             Saved(shapes: (shape, nil), indices: index.scalars, dim: axis))
    }
}

// MARK: - scatterAdd

enum ScatterAdd: OpDefinition {
    static let name = "ScatterAddBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    /// `self: grad`, `src: grad.gather(dim, index)`. That has the index's shape: a source larger
    /// than the index (which the forward allows, reading only what the index covers) gets a
    /// gradient of the wrong shape, which PyTorch's engine then refuses; so does this one.
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> {
        let (indexShape, sourceShape) = (c.shape0, c.shape1)
        return (c.first { c.grad }, c.second {
            let index = try! DenseTensor<Int>(scalars: c.indices, shape: indexShape)
            let g = c.grad.gathered(dim: c.dim, index: index)
            guard indexShape != sourceShape else { return g }
            // The engine's `validate_outputs`: a gradient the input's shape broadcasts to is summed down.
            let expandable = sourceShape.count <= indexShape.count && zip(sourceShape.reversed(), indexShape.reversed()).allSatisfy { $0 == $1 || $0 == 1 }
            trapUnless(expandable, "Function ScatterAddBackward0 returned an invalid gradient at index 1 - got \(indexShape) but expected shape compatible with \(sourceShape)")
            return g.sum(toShape: sourceShape)
        })
    }
}

extension Tensor where Scalar: TensorScalar {
    /// This tensor with `source[c]` added at the position `index[c]` along `dim`, for every
    /// coordinate `c` of `index` (ScatterAddBackward0), PyTorch's out-of-place `scatter_add`:
    /// for `dim` 1 of a matrix, `out[i][index[i][j]] += source[i][j]`. Positions that repeat
    /// receive every element sent to them. A new tensor; this one is unchanged.
    ///
    /// ```swift
    /// let counts = Tensor<Float>.zeros([3])
    /// counts.scatterAdd(dim: 0, index: Tensor<Int>([0, 2, 0]), source: Tensor<Float>.ones([3]))   // [2, 0, 1]
    /// ```
    ///
    /// `index` has this tensor's rank, is no larger than it apart from `dim` and no larger than
    /// `source` anywhere; its values are in `0..<shape[dim]`. Traps with PyTorch's messages
    /// otherwise. Only the elements of `source` the index covers are read; PyTorch's backward
    /// then refuses a `source` larger than the index, and so does this one.
    public func scatterAdd(dim: Int, index: Tensor<Int>, source: Tensor) -> Tensor {
        let axis = scatterAddAxis(dim: dim, index: index, source: source)
        return Tensor.record(data.scatterAdded(dim: axis, index: index.data, source: source.data), ScatterAdd.self, self, source,
                             Saved(shapes: (index.shape, source.shape), indices: index.scalars, dim: axis))
    }
}

// MARK: - The checks, shared by every element type

extension Tensor {
    /// `dim` normalized and `index`'s positions, checked as PyTorch's `index_select` checks them.
    func indexSelectPositions(dim: Int, index: Tensor<Int>) -> (axis: Int, positions: [Int]) {
        trapUnless(index.rank <= 1, "index_select(): Index is supposed to be a vector")
        let axis = Shape.normalize(dim: dim, rank: rank)
        let positions = index.scalars
        let size = rank == 0 ? 1 : shape[axis]
        if rank == 0 {
            trapUnless(positions.count == 1, "index_select(): Index to scalar can have only 1 value, got \(positions.count) value(s)")
        }
        for p in positions where p < 0 || p >= size {
            if rank > 1 && (axis == 1 || count == 0) { trap("INDICES element is out of DATA bounds, id=\(p) axis_dim=\(size)") }
            trap("index out of range in self")
        }
        return (axis, positions)
    }

    /// `dim` normalized, `index`'s shape checked as PyTorch's `gather` checks it (its values are
    /// checked by the kernel).
    func gatherAxis(dim: Int, index: Tensor<Int>) -> Int {
        let axis = Shape.normalize(dim: dim, rank: rank)
        trapUnless(Swift.max(rank, 1) == Swift.max(index.rank, 1),
                   "Index tensor must have the same number of dimensions as input tensor")
        for d in 0..<Swift.max(rank, 1) where d != axis && nonemptySize(index.shape, d) > nonemptySize(shape, d) {
            trap("Size does not match at dimension \(d) expected index \(index.shape) to be no larger than self \(shape) apart from dimension \(axis)")
        }
        return axis
    }

    /// `dim` normalized, the shapes checked as PyTorch's `scatter_add` checks them.
    func scatterAddAxis(dim: Int, index: Tensor<Int>, source: Tensor) -> Int {
        let axis = Shape.normalize(dim: dim, rank: rank)
        if index.count > 0 {
            let dims = Swift.max(rank, 1)
            trapUnless(dims == Swift.max(index.rank, 1), "Index tensor must have the same number of dimensions as self tensor")
            trapUnless(dims == Swift.max(source.rank, 1), "Index tensor must have the same number of dimensions as src tensor")
            let fits = (0..<dims).allSatisfy { d in
                (d == axis || nonemptySize(index.shape, d) <= nonemptySize(shape, d))
                    && nonemptySize(index.shape, d) <= nonemptySize(source.shape, d)
            }
            trapUnless(fits, "Expected index \(index.shape) to be no larger than self \(shape) apart from dimension \(axis) and to be no larger size than src \(source.shape)")
        }
        return axis
    }
}

extension Tensor where Scalar: TensorScalar {
    /// The derivatives' gather and scatter-add, recorded (the public ops, with the index as a tensor).
    func gathered(dim: Int, index: DenseTensor<Int>) -> Tensor { gather(dim: dim, index: Tensor<Int>(data: index)) }

    func scatterAdded(dim: Int, index: DenseTensor<Int>, source: Tensor) -> Tensor {
        scatterAdd(dim: dim, index: Tensor<Int>(data: index), source: source)
    }
}
