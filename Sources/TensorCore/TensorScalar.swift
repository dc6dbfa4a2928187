import RealModule

/// The element types a tensor can hold: `Float` and `Double`.
///
/// The requirements are what the kernels need: IEEE arithmetic, SIMD vectors and the
/// elementary functions of swift-numerics' `Real`.
public protocol TensorScalar: BinaryFloatingPoint, Real, SIMDScalar, BLASScalar, Sendable, LosslessStringConvertible, Codable {
    /// The name PyTorch prints after `dtype=`, or `nil` for the default dtype (float32).
    static var dtypeName: String? { get }
}

extension Float: TensorScalar {
    public static var dtypeName: String? { nil }
}

extension Double: TensorScalar {
    public static var dtypeName: String? { "float64" }
}
