import Arena

/// Making tensors: from scalars, nested arrays and factories, of every element type.
extension Tensor {
    /// A 0-d tensor holding `scalar` (PyTorch's `torch.tensor(2.)`).
    public convenience init(_ scalar: Scalar, requiresGrad: Bool = false) {
        self.init(data: DenseTensor(scalar), requiresGrad: requiresGrad)
    }

    /// A tensor of `shape` from row-major `scalars`.
    ///
    /// - Throws: ``TensorError`` when the count does not fill the shape or a size is negative.
    public convenience init(_ scalars: [Scalar], shape: [Int], requiresGrad: Bool = false) throws(TensorError) {
        self.init(data: try DenseTensor(scalars: scalars, shape: shape), requiresGrad: requiresGrad)
    }

    /// A 1-d tensor of `scalars`.
    public convenience init(_ scalars: [Scalar], requiresGrad: Bool = false) {
        self.init(data: try! DenseTensor(scalars: scalars, shape: [scalars.count]), requiresGrad: requiresGrad)
    }

    /// A 2-d tensor from rows (PyTorch's `torch.tensor([[1., 2.], [3., 4.]])`).
    ///
    /// - Throws: ``TensorError/raggedRows(row:count:expected:)`` when rows differ in length.
    public convenience init(_ rows: [[Scalar]], requiresGrad: Bool = false) throws(TensorError) {
        let width = rows.first?.count ?? 0
        for (i, row) in rows.enumerated() where row.count != width {
            throw .raggedRows(row: i, count: row.count, expected: width)
        }
        try self.init(rows.flatMap { $0 }, shape: [rows.count, width], requiresGrad: requiresGrad)
    }

    /// A tensor of `shape` filled with `value`.
    ///
    /// Shapes given here are code, not data: a negative size traps. Use
    /// ``init(_:shape:requiresGrad:)`` for shapes that come from outside.
    public static func full(_ shape: [Int], value: Scalar, requiresGrad: Bool = false) -> Tensor {
        checkFactoryShape(shape)
        return Tensor(data: DenseTensor(shape: shape, repeating: value), requiresGrad: requiresGrad)
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, value: Scalar(elementFrom: 0), requiresGrad: requiresGrad)
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, value: Scalar(elementFrom: 1), requiresGrad: requiresGrad)
    }

    static func checkFactoryShape(_ shape: [Int]) {
        do { _ = try Shape.checkedCount(shape) } catch { trap(error.description) }
    }
}

extension Tensor where Scalar: TensorScalar {
    /// `[0, 1, …, count - 1]` (PyTorch's `torch.arange(n, dtype=float)`).
    public static func arange(_ count: Int, requiresGrad: Bool = false) -> Tensor {
        checkFactoryShape([count])
        return Tensor((0..<count).map { Scalar($0) }, requiresGrad: requiresGrad)
    }
}

extension Tensor where Scalar == Int {
    /// `[0, 1, …, count - 1]` (PyTorch's `torch.arange(n)`, int64): indices.
    public static func arange(_ count: Int) -> Tensor {
        checkFactoryShape([count])
        return Tensor(Array(0..<count))
    }
}
