import RealModule

/// The floating element types, `Float` and `Double`: the ones arithmetic and gradients need.
///
/// The requirements are what the kernels need: IEEE arithmetic, SIMD vectors and the
/// elementary functions of swift-numerics' `Real`.
public protocol TensorScalar: TensorElement, BinaryFloatingPoint, Real, SIMDScalar {}

extension Float: TensorScalar {
    /// `nil`: `Float` is float32, PyTorch's default dtype, which a printed tensor leaves out.
    public static var dtypeName: String? { nil }
    public static var scalarTypeName: String { "Float" }
    public static func printed(_ shown: [Float]) -> (texts: [String], width: Int) { printedFloats(shown.map(Double.init)) }
}

extension Double: TensorScalar {
    /// `"float64"`, printed as `dtype=float64` (Python's repr spells it `dtype=torch.float64`).
    public static var dtypeName: String? { "float64" }
    public static var scalarTypeName: String { "Double" }
    public static func printed(_ shown: [Double]) -> (texts: [String], width: Int) { printedFloats(shown) }
}

/// PyTorch's `_Formatter` for floating values (Python formats float32 elements as the doubles
/// they convert to exactly).
private func printedFloats(_ shown: [Double]) -> (texts: [String], width: Int) {
    let formatter = ScalarFormatter(values: shown)
    return (shown.map(formatter.format), formatter.width)
}
