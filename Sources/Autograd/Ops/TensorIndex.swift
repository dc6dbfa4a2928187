import Arena

// The index expressions of `Tensor`'s subscripts (Subscripts.swift resolves and applies them).

// MARK: - Index expressions

/// What a ``Tensor`` subscript takes, one per position: an `Int` (negative counts from the end),
/// a range of `Int` (`a..<b`, `a...b`, `a...`, `..<b`, `...b`), a ``TensorIndex`` (`.all`,
/// `.ellipsis`, `.newAxis`, `.stride(_:by:)`), or, as the only index, a `Tensor<Int>` of
/// positions or a `Tensor<Bool>` mask (advanced indexing: the result is a copy).
///
/// ```swift
/// let x = Tensor<Float>.zeros([4, 3])
/// x[1].shape                      // [3]      x[1]
/// x[1..<3, -1].shape              // [2]      x[1:3, -1]
/// x[.all, .newAxis, 0...1].shape  // [4, 1, 2] x[:, None, 0:2]
/// ```
public protocol TensorIndexExpression {
    /// The index this expression stands for.
    var tensorIndex: TensorIndex { get }
}

/// One index of a ``Tensor`` subscript, PyTorch's (and Python's) index items: an integer, a
/// slice `start:stop:step`, `...` or `None`. Written as an `Int`, a range, or one of
/// ``TensorIndexExpression/all``, ``TensorIndexExpression/ellipsis``,
/// ``TensorIndexExpression/newAxis`` and ``TensorIndexExpression/stride(_:by:)``.
public struct TensorIndex: TensorIndexExpression, Equatable, Sendable, CustomStringConvertible {
    enum Kind: Equatable, Sendable {
        /// Selects one position (negative from the end); the dimension goes.
        case integer(Int)
        /// Python's slice `start:stop:step` as written (negative bounds count from the end, an
        /// open end is `Int.max`); bounds are clamped to the dimension, as Python clamps them.
        case slice(start: Int, stop: Int, step: Int)
        /// `...`: as many whole dimensions as the other indices leave.
        case ellipsis
        /// `None`: a new dimension of size 1.
        case newAxis
        /// A `Tensor<Int>`'s values (row-major) and shape: positions along dimension 0
        /// (negative from the end); the index's shape replaces that dimension.
        case positions([Int], shape: [Int])
        /// A `Tensor<Bool>`'s values (row-major) and shape: it covers as many leading
        /// dimensions, which become one, of the size of its count of `true`.
        case mask([Bool], shape: [Int])
    }

    let kind: Kind

    init(_ kind: Kind) { self.kind = kind }

    public var tensorIndex: TensorIndex { self }

    /// Python's spelling: `2`, `1:3`, `:`, `0:8:2`, `...`, `None`.
    public var description: String {
        switch kind {
        case .integer(let i): "\(i)"
        case .slice(let start, let stop, let step):
            (start == 0 ? "" : "\(start)") + ":" + (stop == .max ? "" : "\(stop)") + (step == 1 ? "" : ":\(step)")
        case .ellipsis: "..."
        case .newAxis: "None"
        case .positions(let values, let shape): "tensor(\(values), shape: \(shape))"
        case .mask(let values, let shape): "tensor(\(values), shape: \(shape))"
        }
    }

    /// The exclusive stop of a closed range ending at `b`: `b + 1`, except that `-1`, the last
    /// element, runs to the end (Python's `a:b+1` would be `a:0`, empty).
    static func stop(through b: Int) -> Int { b == -1 || b == .max ? .max : b + 1 }
}

extension TensorIndexExpression where Self == TensorIndex {
    /// Every element of a dimension (Python's `:`).
    public static var all: TensorIndex { TensorIndex(.slice(start: 0, stop: .max, step: 1)) }

    /// The dimensions the other indices leave, each whole (Python's `...`): `x[.ellipsis, 0]`
    /// indexes the last dimension. An index may hold one.
    public static var ellipsis: TensorIndex { TensorIndex(.ellipsis) }

    /// A new dimension of size 1 (Python's `None`).
    public static var newAxis: TensorIndex { TensorIndex(.newAxis) }

    /// Every `step`-th element of `range` (Python's `a:b:step`; `step` must be positive). The
    /// bounds are clamped to the dimension and count from the end when negative, as a range's.
    ///
    /// ```swift
    /// Tensor<Float>.arange(8)[.stride(1..<8, by: 3)].scalars   // [1, 4, 7]
    /// ```
    public static func stride(_ range: Range<Int>, by step: Int) -> TensorIndex {
        TensorIndex(.slice(start: range.lowerBound, stop: range.upperBound, step: step))
    }
}

extension Int: TensorIndexExpression {
    /// Selects this position; a negative one counts from the end.
    public var tensorIndex: TensorIndex { TensorIndex(.integer(self)) }
}

extension Range: TensorIndexExpression where Bound == Int {
    /// The slice `lowerBound:upperBound`.
    public var tensorIndex: TensorIndex { TensorIndex(.slice(start: lowerBound, stop: upperBound, step: 1)) }
}

extension ClosedRange: TensorIndexExpression where Bound == Int {
    /// The slice from `lowerBound` through `upperBound`: `a...(-1)` runs to the end.
    public var tensorIndex: TensorIndex {
        TensorIndex(.slice(start: lowerBound, stop: TensorIndex.stop(through: upperBound), step: 1))
    }
}

extension PartialRangeFrom: TensorIndexExpression where Bound == Int {
    /// The slice `lowerBound:`.
    public var tensorIndex: TensorIndex { TensorIndex(.slice(start: lowerBound, stop: .max, step: 1)) }
}

extension PartialRangeUpTo: TensorIndexExpression where Bound == Int {
    /// The slice `:upperBound`.
    public var tensorIndex: TensorIndex { TensorIndex(.slice(start: 0, stop: upperBound, step: 1)) }
}

extension PartialRangeThrough: TensorIndexExpression where Bound == Int {
    /// The slice from the start through `upperBound`: `...(-1)` is every element.
    public var tensorIndex: TensorIndex {
        TensorIndex(.slice(start: 0, stop: TensorIndex.stop(through: upperBound), step: 1))
    }
}

// MARK: - Tensors as indices

/// The element types whose tensors can index a ``Tensor``: `Int` (positions) and `Bool` (masks),
/// PyTorch's long and bool index tensors.
public protocol TensorIndexElement: TensorElement {
    /// The index that a tensor of this element type, with these row-major `values`, stands for.
    static func tensorIndex(_ values: [Self], shape: [Int]) -> TensorIndex
}

extension Int: TensorIndexElement {
    /// Positions along dimension 0, negative from the end (`x[i]` with a `Tensor<Int>`).
    public static func tensorIndex(_ values: [Int], shape: [Int]) -> TensorIndex {
        TensorIndex(.positions(values, shape: shape))
    }
}

extension Bool: TensorIndexElement {
    /// A mask over the leading dimensions (`x[m]` with a `Tensor<Bool>`).
    public static func tensorIndex(_ values: [Bool], shape: [Int]) -> TensorIndex {
        TensorIndex(.mask(values, shape: shape))
    }
}

extension Tensor: TensorIndexExpression where Scalar: TensorIndexElement {
    /// A `Tensor<Int>` index or a `Tensor<Bool>` mask, by its values as they are now.
    public var tensorIndex: TensorIndex { Scalar.tensorIndex(scalars, shape: shape) }
}
