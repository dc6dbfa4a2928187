import Arena

// MARK: - Int tensors: + - * and sum(), never recorded
//
// Index and count arithmetic, as PyTorch's int64 tensors have it: results wrap around on
// overflow (two's complement, as PyTorch's C++ does on every CPU it runs on), and nothing is
// differentiable.

extension Tensor where Scalar == Int {
    /// `a + b` elementwise, broadcast.
    public static func + (a: Tensor, b: Tensor) -> Tensor { Tensor(data: a.data.binary(.add, b.data)) }
    /// `a + s` elementwise.
    public static func + (a: Tensor, s: Int) -> Tensor { Tensor(data: a.data.binary(.add, DenseTensor(s))) }
    /// `s + a` elementwise.
    public static func + (s: Int, a: Tensor) -> Tensor { Tensor(data: DenseTensor(s).binary(.add, a.data)) }
    /// `a - b` elementwise, broadcast.
    public static func - (a: Tensor, b: Tensor) -> Tensor { Tensor(data: a.data.binary(.sub, b.data)) }
    /// `a - s` elementwise.
    public static func - (a: Tensor, s: Int) -> Tensor { Tensor(data: a.data.binary(.sub, DenseTensor(s))) }
    /// `s - a` elementwise.
    public static func - (s: Int, a: Tensor) -> Tensor { Tensor(data: DenseTensor(s).binary(.sub, a.data)) }
    /// `a * b` elementwise, broadcast.
    public static func * (a: Tensor, b: Tensor) -> Tensor { Tensor(data: a.data.binary(.mul, b.data)) }
    /// `a * s` elementwise.
    public static func * (a: Tensor, s: Int) -> Tensor { Tensor(data: a.data.binary(.mul, DenseTensor(s))) }
    /// `s * a` elementwise.
    public static func * (s: Int, a: Tensor) -> Tensor { Tensor(data: DenseTensor(s).binary(.mul, a.data)) }

    /// `a += b` in place (`b` broadcast to `a`'s shape).
    public static func += (a: Tensor, b: Tensor) { a.update(.add, b.data) }
    /// `a -= b` in place.
    public static func -= (a: Tensor, b: Tensor) { a.update(.sub, b.data) }
    /// `a *= b` in place.
    public static func *= (a: Tensor, b: Tensor) { a.update(.mul, b.data) }

    /// The sum of all elements, a 0-d tensor (0 for an empty one).
    public func sum() -> Tensor { Tensor(data: data.sum()) }

    /// `self = op(self, other)` through this tensor's layout, bumping the shared version.
    fileprivate func update(_ op: BinaryOp, _ other: DenseTensor<Int>) {
        let target = Shape.broadcast(shape, other.shape)
        trapUnless(target == shape, "output with shape \(shape) doesn't match the broadcast shape \(target)")
        data.checkNoInternalOverlap()
        let result = data.binary(op, other)
        data.storage.version += 1
        data.assign(result)
    }
}

// The in-place operators with an `Int` are free functions, not static members: so `x[0] += 1`
// writes through the tensor subscript (a row) rather than the `Scalar` one, as the floating
// types' are (Note [Compound assignment through a subscript] in Subscripts.swift).

/// `a += s` in place.
public func += (a: Tensor<Int>, s: Int) { a.update(.add, DenseTensor(s)) }
/// `a -= s` in place.
public func -= (a: Tensor<Int>, s: Int) { a.update(.sub, DenseTensor(s)) }
/// `a *= s` in place.
public func *= (a: Tensor<Int>, s: Int) { a.update(.mul, DenseTensor(s)) }
