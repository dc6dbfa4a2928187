/// Shape operations. Reshapes share storage (the data is contiguous); transposes and expands copy.
extension DenseTensor {
    /// The same scalars under `newShape` (whose count must match; see ``Shape/inferReshape(_:count:)``).
    @inlinable
    public func reshaped(_ newShape: [Int]) -> DenseTensor {
        DenseTensor(storage: storage, shape: newShape)
    }

    /// A copy with dimensions `d0` and `d1` swapped.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func transposed(_ d0: Int, _ d1: Int) -> DenseTensor {
        let a0 = Shape.normalize(dim: d0, rank: rank), a1 = Shape.normalize(dim: d1, rank: rank)
        if a0 == a1 || rank < 2 { return copied() }
        var outShape = shape
        outShape.swapAt(a0, a1)
        var inStrides = Shape.strides(shape)
        inStrides.swapAt(a0, a1)
        return gather(outShape, inStrides)
    }

    /// A copy of `self` broadcast to `target` (PyTorch's `expand`, materialized).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @inlinable
    public func expanded(to target: [Int]) -> DenseTensor {
        Shape.checkExpand(shape, to: target)
        if target == shape { return self }
        // One value (the gradient of a sum or mean): a fill, without the strided walk.
        if count == 1 { return DenseTensor(shape: target, repeating: storage.read { $0[0] }) }
        return gather(target, broadcastStrides(shape, to: target))
    }

    /// `out[i₀, …] = self[Σ iₖ · strides[k]]` for every index of `outShape`.
    @inlinable
    func gather(_ outShape: [Int], _ strides: [Int]) -> DenseTensor {
        Self.gather(outShape, strides, from: self)
    }

    /// `out[i₀, …] = source[Σ iₖ · strides[k]]`; always a new buffer.
    @inlinable
    static func gather(_ outShape: [Int], _ strides: [Int], from source: DenseTensor) -> DenseTensor {
        let storage = source.storage
        let out = DenseTensor(uninitializedShape: outShape)
        guard out.count > 0 else { return out }
        let inner = outShape.last ?? 1
        let step = strides.last ?? 0
        storage.read { s in out.storage.update { o in
            let s = s.baseAddress!, o = o.baseAddress!
            forEachRow(shape: outShape, stridesA: strides, stridesB: strides) { offS, _, offO in
                if step == 1 {
                    (o + offO).update(from: s + offS, count: inner)
                } else if step == 0 {
                    (o + offO).update(repeating: s[offS], count: inner)
                } else {
                    for k in 0..<inner { o[offO + k] = s[offS + k * step] }
                }
            }
        } }
        return out
    }

    /// The rows of a 2-D tensor at `indices`, in that order (PyTorch's `index_select(0, indices)`),
    /// copied straight into the result. Traps on an index out of range.
    public func rows(_ indices: some Collection<Int>) -> DenseTensor {
        precondition(rank == 2, "rows(_:) expects a 2-D tensor, got \(shape)")
        let (count, width) = (shape[0], shape[1])
        let out = DenseTensor(uninitializedShape: [indices.count, width])
        guard width > 0 else { return out }
        storage.read { all in out.storage.update { dst in
            for (r, i) in indices.enumerated() {
                precondition(i >= 0 && i < count, "index \(i) is out of bounds for dimension 0 with size \(count)")
                (dst.baseAddress! + r * width).update(from: all.baseAddress! + i * width, count: width)
            }
        } }
        return out
    }
}
