/// The element types a tensor can hold: `Float`, `Double` (the floating types, ``TensorScalar``),
/// `Int` (PyTorch's int64) and `Bool`.
///
/// What every element type shares is what needs no arithmetic: storage, shapes and views,
/// printing, conversion and comparison. Arithmetic needs a numeric element, gradients a
/// ``TensorScalar``.
///
/// ```swift
/// let labels = try DenseTensor<Int>(scalars: [3, 0, 7], shape: [3])
/// print(labels)                           // tensor([3, 0, 7])
/// print(DenseTensor<Bool>(converting: labels))   // tensor([ True, False,  True])
/// ```
public protocol TensorElement: Sendable, Equatable, LosslessStringConvertible, Codable {
    /// The name PyTorch prints after `dtype=` for a tensor of this type, or `nil` where PyTorch
    /// leaves it out: float32 (the default dtype), and int64 and bool, whose values show their
    /// type (`[1, 2]`, `[True]`), except in an empty tensor (``emptyDtypeName``).
    static var dtypeName: String? { get }
    /// The name PyTorch prints after `dtype=` for an empty tensor of this type, which has no
    /// values to show it: every type but float32.
    static var emptyDtypeName: String? { get }
    /// PyTorch's name of the scalar type in messages (`Float`, `Double`, `Long`, `Bool`).
    static var scalarTypeName: String { get }
    /// Whether the type is a floating type (only those can require gradients).
    static var isFloatingPoint: Bool { get }
    /// This element converted to another type as PyTorch's `.to(dtype)` does (`.long()` truncates
    /// toward zero, anything nonzero or NaN is `true`, `true` is 1).
    func converted<Target: TensorElement>(to: Target.Type) -> Target
    /// Builds an element from a `Double` (a float's conversion source), an `Int` or a `Bool`:
    /// the three ways ``converted(to:)`` reaches every pair of types.
    init(elementFrom value: Double)
    init(elementFrom value: Int)
    init(elementFrom value: Bool)
    /// The printed text of each of `shown` (the elements a print shows), padded to one width,
    /// as PyTorch's `_Formatter` spells this type, and that width (which lays out the rows).
    static func printed(_ shown: [Self]) -> (texts: [String], width: Int)
}

extension TensorElement where Self: BinaryFloatingPoint {
    public static var isFloatingPoint: Bool { true }
    public init(elementFrom value: Double) { self.init(value) }
    public init(elementFrom value: Int) { self.init(value) }
    public init(elementFrom value: Bool) { self = value ? 1 : 0 }
    public static var emptyDtypeName: String? { dtypeName }
}

extension Float {
    public func converted<Target: TensorElement>(to: Target.Type) -> Target {
        // Through Double: exact, so the target rounds once (Float → Double is widening).
        if Target.self == Float.self { return unsafeBitCast(self, to: Target.self) }
        return Target(elementFrom: Double(self))
    }
}

extension Double {
    public func converted<Target: TensorElement>(to: Target.Type) -> Target {
        Target(elementFrom: self)
    }
}

extension Int: TensorElement {
    public static var dtypeName: String? { nil }
    public static var emptyDtypeName: String? { "int64" }
    public static var scalarTypeName: String { "Long" }
    public static var isFloatingPoint: Bool { false }
    /// `.long()`: toward zero; NaN and values outside int64's range give `Int.min`, as x86-64's
    /// `cvttsd2si` does in PyTorch (C++ leaves them undefined, and other CPUs differ).
    public init(elementFrom value: Double) {
        self = value > -9.223372036854775808e18 && value < 9.223372036854775808e18 ? Int(value) : .min
    }
    public init(elementFrom value: Int) { self = value }
    public init(elementFrom value: Bool) { self = value ? 1 : 0 }
    public func converted<Target: TensorElement>(to: Target.Type) -> Target { Target(elementFrom: self) }

    public static func printed(_ shown: [Int]) -> (texts: [String], width: Int) {
        padded(shown.map(String.init))
    }
}

extension Bool: TensorElement {
    public static var dtypeName: String? { nil }
    public static var emptyDtypeName: String? { "bool" }
    public static var scalarTypeName: String { "Bool" }
    public static var isFloatingPoint: Bool { false }
    /// Nonzero, NaN included, is `true`.
    public init(elementFrom value: Double) { self = value != 0 }
    public init(elementFrom value: Int) { self = value != 0 }
    public init(elementFrom value: Bool) { self = value }
    public func converted<Target: TensorElement>(to: Target.Type) -> Target { Target(elementFrom: self) }

    /// Python's `True`/`False`.
    public static func printed(_ shown: [Bool]) -> (texts: [String], width: Int) {
        padded(shown.map { $0 ? "True" : "False" })
    }
}

/// `texts` right-aligned to the widest, as PyTorch's formatter pads the non-floating types.
private func padded(_ texts: [String]) -> (texts: [String], width: Int) {
    let width = texts.lazy.map(\.count).max() ?? 0
    return (texts.map { String(repeating: " ", count: width - $0.count) + $0 }, width)
}
