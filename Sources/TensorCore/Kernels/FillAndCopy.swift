import CTensorCoreShims

extension DenseTensor {
    /// Fills and copies above this many bytes use streaming stores (see `initialize(_:repeating:count:)`).
    @usableFromInline static var streamingFillBytes: Int { 8 << 20 }

    /// `p[0..<n] = value`, inlined so that the small fill is the specialized loop (not inlined,
    /// it ran generic code: 1.5 ns an element, the gradient of a 1e5-element sum 10× slower). A large fill (the gradient of a sum or a mean over a big tensor) is
    /// written with non-temporal stores: a plain store first reads each line it writes, so a
    /// 64 MB fill moved 128 MB and ran at half the write bandwidth (sum forward and backward on
    /// 1.6e7 floats: 13.9 ms, of which 11.5 ms the fill). Large fills are split across cores.
    @inlinable
    static func initialize(_ p: UnsafeMutablePointer<Scalar>, repeating value: Scalar, count n: Int) {
        guard n > 0 else { return }
        let streaming = n &* MemoryLayout<Scalar>.stride >= streamingFillBytes
        if n < Parallel.neverSplitBelow || (!streaming && n < Parallel.minimumStreamElements) {
            p.initialize(repeating: value, count: n)
            return
        }
        Parallel.forEachBlock(n) { r in
            let q = p + r.lowerBound
            if streaming {
                if Scalar.self == Float.self {
                    return _tensorcore_fill_streaming_f32(asFloat(q), unsafeBitCast(value, to: Float.self), r.count)
                }
                if Scalar.self == Double.self {
                    return _tensorcore_fill_streaming_f64(UnsafeMutableRawPointer(q).assumingMemoryBound(to: Double.self), unsafeBitCast(value, to: Double.self), r.count)
                }
            }
            q.initialize(repeating: value, count: r.count)
        }
    }

    /// `dst[0..<n] = src[0..<n]` (no overlap), streaming above `streamingFillBytes` for the same
    /// reason as `initialize(_:repeating:count:)`: a copy of 64 MB moved 192 MB (the read of the
    /// source, and the destination's lines read before being written). Large copies are split
    /// across cores: the gradient that two leaves receive unchanged (`a + b`) is copied once for
    /// each, and on one core those two copies were most of `a + b`'s backward at 1e6 elements.
    @inlinable
    static func copy(_ dst: UnsafeMutablePointer<Scalar>, from src: UnsafePointer<Scalar>, count n: Int) {
        guard n > 0 else { return }
        let streaming = n &* MemoryLayout<Scalar>.stride >= streamingFillBytes
        if n < Parallel.neverSplitBelow || (!streaming && n < Parallel.minimumStreamElements) {
            dst.update(from: src, count: n)
            return
        }
        Parallel.forEachBlock(n) { r in
            if streaming {
                streamingCopy(dst + r.lowerBound, from: src + r.lowerBound, count: r.count)
                _tensorcore_store_fence()
            } else {
                (dst + r.lowerBound).update(from: src + r.lowerBound, count: r.count)
            }
        }
    }

    /// `dst[0..<n] = src[0..<n]` with streaming stores and no fence: the caller fences once
    /// (`_tensorcore_store_fence()`) after its last piece, before anything else can read `dst`.
    @inlinable @inline(__always)
    static func streamingCopy(_ dst: UnsafeMutablePointer<Scalar>, from src: UnsafePointer<Scalar>, count n: Int) {
        if Scalar.self == Float.self {
            return _tensorcore_copy_streaming_unfenced_f32(
                asFloat(dst),
                asFloat(src), n)
        }
        if Scalar.self == Double.self {
            return _tensorcore_copy_streaming_unfenced_f64(
                UnsafeMutableRawPointer(dst).assumingMemoryBound(to: Double.self),
                UnsafeRawPointer(src).assumingMemoryBound(to: Double.self), n)
        }
        dst.update(from: src, count: n)
    }

    /// Writes `out[r]` through `compute`, which fills a small buffer (`buffer[i]` for `i` in the
    /// sub-range it is given, the buffer shifted so that it indexes like `out`), streamed on to
    /// `out` piece by piece. A kernel's plain stores read every output line before writing it;
    /// NumPy's copy (glibc memcpy) streams, and so outran our `a + b` by 1.8× on 64 MB arrays.
    /// The buffer (4 KB) stays in L1, so the extra store and load per element cost little.
    @inlinable @inline(__always)
    static func streamingStore(
        _ out: UnsafeMutablePointer<Scalar>, _ r: Range<Int>,
        _ compute: (_ buffer: UnsafeMutablePointer<Scalar>, _ range: Range<Int>) -> Void
    ) {
        let piece = 4096 / MemoryLayout<Scalar>.stride
        withUnsafeTemporaryAllocation(of: Scalar.self, capacity: piece) { buffer in
            let base = buffer.baseAddress!
            var lo = r.lowerBound
            while lo < r.upperBound {
                let hi = Swift.min(lo &+ piece, r.upperBound)
                compute(base - lo, lo..<hi)
                streamingCopy(out + lo, from: base, count: hi &- lo)
                lo = hi
            }
        }
        _tensorcore_store_fence()
    }
}
