import CTensorCoreShims

extension DenseTensor {
    /// Fills and copies above this many bytes use streaming stores (see `initialize(_:repeating:count:)`).
    @usableFromInline static var streamingFillBytes: Int { 8 << 20 }

    /// `p[0..<n] = value`, inlined so that the small fill is the specialized loop (not inlined,
    /// it ran generic code: 1.5 ns an element, the gradient of a 1e5-element sum 10× slower). A large fill (the gradient of a sum or a mean over a big tensor) is
    /// written with non-temporal stores: a plain store first reads each line it writes, so a
    /// 64 MB fill moved 128 MB and ran at half the write bandwidth (sum forward and backward on
    /// 1.6e7 floats: 13.9 ms, of which 11.5 ms the fill).
    @inlinable
    static func initialize(_ p: UnsafeMutablePointer<Scalar>, repeating value: Scalar, count n: Int) {
        guard n > 0 else { return }
        if n &* MemoryLayout<Scalar>.stride >= streamingFillBytes {
            if Scalar.self == Float.self {
                return _tensorcore_fill_streaming_f32(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self), unsafeBitCast(value, to: Float.self), n)
            }
            if Scalar.self == Double.self {
                return _tensorcore_fill_streaming_f64(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self), unsafeBitCast(value, to: Double.self), n)
            }
        }
        p.initialize(repeating: value, count: n)
    }

    /// `dst[0..<n] = src[0..<n]` (no overlap), streaming above `streamingFillBytes` for the same
    /// reason as `initialize(_:repeating:count:)`: a copy of 64 MB moved 192 MB (the read of the
    /// source, and the destination's lines read before being written). The gradient that two
    /// leaves receive unchanged (`a + b`) is copied once for each.
    @inlinable
    static func copy(_ dst: UnsafeMutablePointer<Scalar>, from src: UnsafePointer<Scalar>, count n: Int) {
        guard n > 0 else { return }
        if n &* MemoryLayout<Scalar>.stride >= streamingFillBytes {
            if Scalar.self == Float.self {
                return _tensorcore_copy_streaming_f32(
                    UnsafeMutableRawPointer(dst).assumingMemoryBound(to: Float.self),
                    UnsafeRawPointer(src).assumingMemoryBound(to: Float.self), n)
            }
            if Scalar.self == Double.self {
                return _tensorcore_copy_streaming_f64(
                    UnsafeMutableRawPointer(dst).assumingMemoryBound(to: Double.self),
                    UnsafeRawPointer(src).assumingMemoryBound(to: Double.self), n)
            }
        }
        dst.update(from: src, count: n)
    }
}
