/// A generic pointer read as `Float`, for the single-precision C kernels: only where the caller
/// has checked that its scalars are `Float` (`Scalar.self == Float.self`). One place for the
/// cast, so that a kernel call reads as the kernel's arguments.
// Disfavored: a mutable pointer converts to an immutable one, and would match both.
@inlinable @inline(__always) @_disfavoredOverload
func asFloat<T>(_ p: UnsafePointer<T>) -> UnsafePointer<Float> {
    UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
}

/// ``asFloat(_:)-(UnsafePointer<T>)`` for a pointer the kernel writes through.
@inlinable @inline(__always)
func asFloat<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}
