import Arena

// MARK: - Comparisons and logic: results of element type Bool, never recorded
//
// PyTorch's comparisons and logical ops have no derivative: their results never require grad,
// whatever their operands do. They broadcast like arithmetic, and a scalar on the right is
// compared in the tensor's own type (`x .> 0.2` on a Float tensor compares with Float(0.2)).

extension Tensor {
    /// `a .== b` elementwise (PyTorch's `eq`), broadcast: a `Bool` tensor. NaN equals nothing.
    public static func .== (a: Tensor, b: Tensor) -> Tensor<Bool> { Tensor<Bool>(data: a.data.elementsEqual(b.data)) }
    /// `a .== s` elementwise.
    public static func .== (a: Tensor, s: Scalar) -> Tensor<Bool> { Tensor<Bool>(data: a.data.elementsEqual(DenseTensor(s))) }
    /// `a .!= b` elementwise (PyTorch's `ne`), broadcast. NaN differs from everything.
    public static func .!= (a: Tensor, b: Tensor) -> Tensor<Bool> { Tensor<Bool>(data: a.data.elementsNotEqual(b.data)) }
    /// `a .!= s` elementwise.
    public static func .!= (a: Tensor, s: Scalar) -> Tensor<Bool> { Tensor<Bool>(data: a.data.elementsNotEqual(DenseTensor(s))) }
}

extension Tensor where Scalar: Comparable {
    /// `a .< b` elementwise (PyTorch's `lt`), broadcast: a `Bool` tensor; NaN compares false.
    ///
    /// ```swift
    /// let x = Tensor<Float>([-1, 0.5, 2])
    /// print(x .> 0)          // tensor([False,  True,  True])
    /// ```
    public static func .< (a: Tensor, b: Tensor) -> Tensor<Bool> { a.compared(.less, b.data) }
    /// `a .< s` elementwise.
    public static func .< (a: Tensor, s: Scalar) -> Tensor<Bool> { a.compared(.less, DenseTensor(s)) }
    /// `a .<= b` elementwise (PyTorch's `le`), broadcast.
    public static func .<= (a: Tensor, b: Tensor) -> Tensor<Bool> { a.compared(.lessOrEqual, b.data) }
    /// `a .<= s` elementwise.
    public static func .<= (a: Tensor, s: Scalar) -> Tensor<Bool> { a.compared(.lessOrEqual, DenseTensor(s)) }
    /// `a .> b` elementwise (PyTorch's `gt`), broadcast.
    public static func .> (a: Tensor, b: Tensor) -> Tensor<Bool> { a.compared(.greater, b.data) }
    /// `a .> s` elementwise.
    public static func .> (a: Tensor, s: Scalar) -> Tensor<Bool> { a.compared(.greater, DenseTensor(s)) }
    /// `a .>= b` elementwise (PyTorch's `ge`), broadcast.
    public static func .>= (a: Tensor, b: Tensor) -> Tensor<Bool> { a.compared(.greaterOrEqual, b.data) }
    /// `a .>= s` elementwise.
    public static func .>= (a: Tensor, s: Scalar) -> Tensor<Bool> { a.compared(.greaterOrEqual, DenseTensor(s)) }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Int)
    private func compared(_ op: ComparisonOp, _ other: DenseTensor<Scalar>) -> Tensor<Bool> {
        Tensor<Bool>(data: data.compared(op, other))
    }
}

extension Tensor where Scalar == Bool {
    /// `a .& b` elementwise (PyTorch's `logical_and`, `&` on bool tensors), broadcast.
    public static func .& (a: Tensor, b: Tensor) -> Tensor { Tensor(data: a.data.zipped(b.data) { $0 && $1 }) }
    /// `a .| b` elementwise (`logical_or`), broadcast.
    public static func .| (a: Tensor, b: Tensor) -> Tensor { Tensor(data: a.data.zipped(b.data) { $0 || $1 }) }
    /// `a .^ b` elementwise (`logical_xor`), broadcast.
    public static func .^ (a: Tensor, b: Tensor) -> Tensor { Tensor(data: a.data.zipped(b.data) { $0 != $1 }) }
    /// `.!a` elementwise (`logical_not`, `~` on bool tensors).
    public static prefix func .! (a: Tensor) -> Tensor { Tensor(data: a.data.mapped { !$0 }) }

    /// Whether any element is `true`, as a 0-d tensor (PyTorch's `any()`; `false` when empty).
    public func any() -> Tensor { Tensor(data.any()) }
    /// Whether every element is `true`, as a 0-d tensor (PyTorch's `all()`; `true` when empty).
    public func all() -> Tensor { Tensor(data.all()) }
}
