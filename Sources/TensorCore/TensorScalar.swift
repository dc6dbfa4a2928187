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
    /// `nil`: `Float` is float32, PyTorch's default dtype, which a printed tensor leaves out.
    public static var dtypeName: String? { nil }
}

extension Double: TensorScalar {
    /// `"float64"`, printed as `dtype=float64` (Python's repr spells it `dtype=torch.float64`).
    public static var dtypeName: String? { "float64" }
}
