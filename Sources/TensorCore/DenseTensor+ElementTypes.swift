import Arena

/// What every element type has: conversion between types, comparisons to `Bool` tensors, the
/// logical operations on `Bool` tensors and `any`/`all`, and `Int` arithmetic.
///
/// These run on plain loops with the function inlined at the specialized call site; they are not
/// the float kernels' hot paths (Note [Kernel functions]), and every element type has them.
extension DenseTensor {
    /// `source`'s elements converted as PyTorch's `.to(dtype)` does (see
    /// ``TensorElement/converted(to:)``); a new row-major tensor of `source`'s shape.
    @inlinable
    public init<Source: TensorElement>(converting source: DenseTensor<Source>) {
        self = source.mapped { $0.converted(to: Scalar.self) }
    }

    /// `f` of each element, into a new row-major tensor of this shape.
    @inlinable
    public func mapped<Result: TensorElement>(_ f: (Scalar) -> Result) -> DenseTensor<Result> {
        let dense = contiguous()
        let out = DenseTensor<Result>(uninitializedShape: shape)
        let a = UnsafePointer(dense.start), o = out.start
        for i in 0..<count { (o + i).initialize(to: f(a[i])) }
        return out
    }

    /// `f(self, other)` elementwise, broadcast (NumPy rules; traps with PyTorch's message when the
    /// shapes don't broadcast), into a new row-major tensor.
    @inlinable
    public func zipped<Other: TensorElement, Result: TensorElement>(
        _ other: DenseTensor<Other>, _ f: (Scalar, Other) -> Result
    ) -> DenseTensor<Result> {
        let outShape = Shape.broadcast(shape, other.shape)
        let out = DenseTensor<Result>(uninitializedShape: outShape)
        guard out.count > 0 else { return out }
        let a = UnsafePointer(start), b = UnsafePointer(other.start), o = out.start
        let sa = operandStrides(to: outShape), sb = other.operandStrides(to: outShape)
        let inner = outShape.last ?? 1
        let ia = sa.last ?? 0, ib = sb.last ?? 0
        forEachRow(shape: outShape, stridesA: sa, stridesB: sb) { offA, offB, offO in
            for k in 0..<inner { (o + (offO &+ k)).initialize(to: f(a[offA &+ k &* ia], b[offB &+ k &* ib])) }
        }
        return out
    }

    /// `self .== other` elementwise, broadcast.
    @inlinable
    public func elementsEqual(_ other: DenseTensor) -> DenseTensor<Bool> { zipped(other) { $0 == $1 } }

    /// `self .!= other` elementwise, broadcast.
    @inlinable
    public func elementsNotEqual(_ other: DenseTensor) -> DenseTensor<Bool> { zipped(other) { $0 != $1 } }
}

/// An ordering comparison, elementwise (`.<`, `.<=`, `.>`, `.>=`; NaN compares false).
public enum ComparisonOp: Sendable {
    case less, lessOrEqual, greater, greaterOrEqual
}

extension DenseTensor where Scalar: Comparable {
    /// `op(self, other)` elementwise, broadcast.
    @inlinable
    public func compared(_ op: ComparisonOp, _ other: DenseTensor) -> DenseTensor<Bool> {
        switch op {   // one loop per op, the comparison inlined into it
        case .less: zipped(other) { $0 < $1 }
        case .lessOrEqual: zipped(other) { $0 <= $1 }
        case .greater: zipped(other) { $0 > $1 }
        case .greaterOrEqual: zipped(other) { $0 >= $1 }
        }
    }
}

extension DenseTensor where Scalar == Bool {
    /// Whether any element is `true` (`false` for an empty tensor).
    public func any() -> Bool { contiguous().withElements { $0.contains(true) } }

    /// Whether every element is `true` (`true` for an empty tensor).
    public func all() -> Bool { contiguous().withElements { !$0.contains(false) } }
}

extension DenseTensor where Scalar == Int {
    /// `op(self, other)` elementwise, broadcast, for `add`, `sub` and `mul`; int64 arithmetic
    /// wraps around on overflow, as PyTorch's does.
    public func binary(_ op: BinaryOp, _ other: DenseTensor) -> DenseTensor {
        switch op {
        case .add: zipped(other) { $0 &+ $1 }
        case .sub: zipped(other) { $0 &- $1 }
        case .mul: zipped(other) { $0 &* $1 }
        default: trap("\(op) is not an Int tensor operation")
        }
    }

    /// The sum of all elements as a 0-d tensor (wrapping on overflow).
    public func sum() -> DenseTensor {
        DenseTensor(contiguous().withElements { $0.reduce(0, &+) })
    }
}
