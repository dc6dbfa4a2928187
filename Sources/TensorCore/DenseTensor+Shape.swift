import Arena
import CTensorCoreShims

/// Copies between layouts: the tiled matrix transpose, strided gathers, rows by index.
extension DenseTensor {
    /// The transpose of a matrix: 64×64 tiles, each moved as 4×4 blocks (four rows loaded as
    /// vectors, written back as four columns), or for Float on an AVX-512 CPU as 16×16 blocks
    /// (Note [AVX-512 transpose]). The strided gather these replaced read one
    /// element per cache line and ran at ~4 cycles an element: the transposes of the plain MLP's
    /// weights (`w.t()` and its derivative) were a fifth of its training step (`perf record`).
    @inlinable
    func transposedMatrix() -> DenseTensor {
        assert(isContiguous, "transposedMatrix of a strided view")
        let (rows, cols) = (shape[0], shape[1])
        let out = DenseTensor(uninitializedShape: [cols, rows])
        guard rows > 0, cols > 0 else { return out }
        let s = UnsafePointer(start), o = out.start
        let tile = 64
        // Large transposes split by bands of tile rows, one band per thread (the plain MLP's
        // 512×784 weight transposes were a tenth of its 2-thread step, all on one core).
        let rowTiles = (rows &+ tile &- 1) / tile
        let parts = rows &* cols >= Parallel.minimumStreamElements ? Swift.min(Parallel.threads, rowTiles) : 1
        let avx512 = Scalar.self == Float.self && avx512KernelsAvailable
        Parallel.forEachPart(parts) { part in
            let band = (rowTiles &+ parts &- 1) / parts
            let lo = part &* band &* tile, hi = Swift.min(rows, (part &+ 1) &* band &* tile)
            guard lo < hi else { return }
            if avx512 {   // Note [AVX-512 transpose]: 16×16 blocks in registers
                _tensorcore_transpose_f32(asFloat(s),
                                          asFloat(o),
                                          rows, cols, lo, hi)
            } else {
                Self.transposeTiles(s, o, rows: rows, cols: cols, rowRange: lo..<hi)
            }
        }
        return out
    }

    /// The tiles of rows `rowRange` (a multiple of the 64-row tile apart from the end) of a
    /// `rows`×`cols` matrix at `s`, written transposed into `o`. A transpose only moves bits, so
    /// every element type goes through the unsigned integers of its width (`Bool` has no SIMD
    /// vectors of its own).
    @inlinable
    static func transposeTiles(_ s: UnsafePointer<Scalar>, _ o: UnsafeMutablePointer<Scalar>,
                               rows: Int, cols: Int, rowRange: Range<Int>) {
        func moved<Bits: SIMDScalar>(_: Bits.Type) {
            transposeTileBits(UnsafeRawPointer(s).assumingMemoryBound(to: Bits.self),
                              UnsafeMutableRawPointer(o).assumingMemoryBound(to: Bits.self),
                              rows: rows, cols: cols, rowRange: rowRange)
        }
        switch MemoryLayout<Scalar>.stride {
        case 8: moved(UInt64.self)
        case 4: moved(UInt32.self)
        case 2: moved(UInt16.self)
        default: moved(UInt8.self)
        }
    }
}

/// ``DenseTensor/transposeTiles(_:_:rows:cols:rowRange:)`` on elements of one width.
@inlinable
func transposeTileBits<Scalar: SIMDScalar>(_ s: UnsafePointer<Scalar>, _ o: UnsafeMutablePointer<Scalar>,
                                           rows: Int, cols: Int, rowRange: Range<Int>) {
    let tile = 64
    for i0 in stride(from: rowRange.lowerBound, to: rowRange.upperBound, by: tile) {
        let i1 = Swift.min(i0 &+ tile, rowRange.upperBound), i4 = i0 &+ ((i1 &- i0) & ~3)
        for j0 in stride(from: 0, to: cols, by: tile) {
            let j1 = Swift.min(j0 &+ tile, cols), j4 = j0 &+ ((j1 &- j0) & ~3)
            var i = i0
            while i < i4 {
                var j = j0
                while j < j4 {
                    let r0 = load4(s + (i &* cols &+ j)), r1 = load4(s + ((i &+ 1) &* cols &+ j))
                    let r2 = load4(s + ((i &+ 2) &* cols &+ j)), r3 = load4(s + ((i &+ 3) &* cols &+ j))
                    store4(o + (j &* rows &+ i), SIMD4(r0[0], r1[0], r2[0], r3[0]))
                    store4(o + ((j &+ 1) &* rows &+ i), SIMD4(r0[1], r1[1], r2[1], r3[1]))
                    store4(o + ((j &+ 2) &* rows &+ i), SIMD4(r0[2], r1[2], r2[2], r3[2]))
                    store4(o + ((j &+ 3) &* rows &+ i), SIMD4(r0[3], r1[3], r2[3], r3[3]))
                    j &+= 4
                }
                for r in i..<(i &+ 4) {
                    for c in j4..<j1 { o[c &* rows &+ r] = s[r &* cols &+ c] }
                }
                i &+= 4
            }
            for r in i4..<i1 {
                for c in j0..<j1 { o[c &* rows &+ r] = s[r &* cols &+ c] }
            }
        }
    }
}

@inlinable @inline(__always)
func load4<Scalar: SIMDScalar>(_ p: UnsafePointer<Scalar>) -> SIMD4<Scalar> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Scalar>.self)
}

@inlinable @inline(__always)
func store4<Scalar: SIMDScalar>(_ p: UnsafeMutablePointer<Scalar>, _ v: SIMD4<Scalar>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Scalar>.self)
}

/// Copies between layouts, continued.
extension DenseTensor {
    /// `out[i₀, …] = storage[offset + Σ iₖ · strides[k]]` for every index of `outShape`; always
    /// a new, row-major buffer (the general strided loop).
    @inlinable
    static func gather(_ outShape: [Int], _ strides: [Int], offset: Int, from storage: TensorStorage<Scalar>) -> DenseTensor {
        let out = DenseTensor(uninitializedShape: outShape)
        guard out.count > 0 else { return out }
        let inner = outShape.last ?? 1
        let step = strides.last ?? 0
        let s = UnsafePointer(storage.base + offset), o = out.start
        forEachRow(shape: outShape, stridesA: strides, stridesB: strides) { offS, _, offO in
            if step == 1 {
                (o + offO).update(from: s + offS, count: inner)
            } else if step == 0 {
                (o + offO).update(repeating: s[offS], count: inner)
            } else {
                for k in 0..<inner { o[offO &+ k] = s[offS &+ k &* step] }
            }
        }
        return out
    }

    /// The rows of a 2-D tensor at `indices`, in that order (PyTorch's `index_select(0, indices)`),
    /// copied straight into the result, of shape `[indices.count, width]` or `shape` (any shape
    /// of as many elements whose last size is the width: an embedding's `indices.shape + [width]`).
    /// Traps on an index out of range.
    // Specialized for the lists an embedding passes: the generic body boxed every index (a malloc
    // per row, 512 for a [8, 64] batch of tokens).
    @_specialize(where Scalar == Float, Indices == [Int])
    @_specialize(where Scalar == Double, Indices == [Int])
    public func rows<Indices: Collection<Int>>(_ indices: Indices, shape outShape: [Int]? = nil) -> DenseTensor {
        trapUnless(rank == 2, "rows(_:) expects a 2-D tensor, got \(shape)")
        guard isContiguous else { return contiguous().rows(indices, shape: outShape) }
        let (count, width) = (shape[0], shape[1])
        let out = DenseTensor(uninitializedShape: outShape ?? [indices.count, width])
        trapUnless(out.count == indices.count * width, "rows(_:shape:): shape \(out.shape) for \(indices.count) rows of \(width)")
        guard width > 0 else { return out }
        let all = UnsafePointer(start), dst = out.start
        for (r, i) in indices.enumerated() {
            trapUnless(i >= 0 && i < count, "index \(i) is out of bounds for dimension 0 with size \(count)")
            (dst + r * width).update(from: all + i * width, count: width)
        }
        return out
    }
}
