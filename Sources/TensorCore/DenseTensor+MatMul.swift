import Arena

/// Matrix products through BLAS. `transposeA`/`transposeB` read an operand as its transpose
/// without copying it, which is what the derivatives of a product need; so does an operand that
/// is a transposed view (`w.transposed(0, 1)`), and one whose rows are a slice of longer rows.
/// How a matrix lies in memory, for a gradient formed in its input's layout.
public enum MatrixLayout: Sendable {
    /// Rows one after another (a row-major matrix, or one whose rows are slices of longer rows).
    case rowMajor
    /// Columns one after another: the transpose of a row-major matrix (`w.transposed()`).
    case columnMajor
}

extension DenseTensor where Scalar: TensorScalar {
    /// How a 2-D tensor lies in memory: `.columnMajor` where BLAS reads it with a transpose flag.
    @inlinable
    public var matrixLayout: MatrixLayout { blasLayout?.transposed == true ? .columnMajor : .rowMajor }

    /// How BLAS reads this matrix without a copy: its memory as a row-major matrix (itself, or
    /// its transpose when it is laid out column-major) with leading dimension `ld`. A layout
    /// BLAS can't read (an expanded or doubly strided view) is copied first (`tensor`).
    @inlinable
    func blasOperand() -> (tensor: DenseTensor, transposed: Bool, ld: Int) {
        if let layout = blasLayout { return (self, layout.transposed, layout.ld) }
        return (contiguous(), false, Swift.max(shape[1], 1))
    }

    /// How BLAS reads this matrix as it lies (see ``blasOperand()``), or `nil` for a layout it
    /// can't read: decided from the strides alone, without copying.
    @inlinable
    var blasLayout: (transposed: Bool, ld: Int)? {
        let (rows, cols) = (shape[0], shape[1])
        guard _isView else { return (false, Swift.max(cols, 1)) }
        let s = (ViewLayout.stride(shape, 0), ViewLayout.stride(shape, 1))
        if (cols == 1 || s.1 == 1) && (rows == 1 || s.0 >= Swift.max(cols, 1)) {
            return (false, rows == 1 ? Swift.max(cols, 1) : s.0)
        }
        if (rows == 1 || s.0 == 1) && (cols == 1 || s.1 >= Swift.max(rows, 1)) {
            return (true, cols == 1 ? Swift.max(rows, 1) : s.1)
        }
        return nil
    }

    /// `op(self) · op(other)` for 2-D tensors, `op` being the transpose when asked.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func matmul(_ other: DenseTensor, transposeA: Bool = false, transposeB: Bool = false) -> DenseTensor {
        trapUnless(rank == 2 && other.rank == 2, "matmul expects 2-D operands, got \(shape) and \(other.shape)")
        let (m, k) = transposeA ? (shape[1], shape[0]) : (shape[0], shape[1])
        let (k2, n) = transposeB ? (other.shape[1], other.shape[0]) : (other.shape[0], other.shape[1])
        trapUnless(k == k2,
            "mat1 and mat2 shapes cannot be multiplied (\(m)x\(k) and \(k2)x\(n))")
        let out = DenseTensor(uninitializedShape: [m, n])
        if m == 0 || n == 0 { return out }
        if k == 0 { return DenseTensor(shape: [m, n], repeating: 0) }
        let a = blasOperand(), b = other.blasOperand()
        blasGemm(transA: transposeA != a.transposed, transB: transposeB != b.transposed, m: m, n: n, k: k, alpha: 1,
                    a: a.tensor.start, lda: a.ld, b: b.tensor.start, ldb: b.ld, beta: 0, c: out.start, ldc: n)
        withExtendedLifetime((a, b)) {}
        return out
    }

    /// `accumulator + op(self) · op(other)`, written into `accumulator`'s storage (which must be
    /// `[m, n]` and not shared) and returned: GEMM's `beta = 1`, so a bias costs no extra pass.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func matmul(
        _ other: DenseTensor, transposeA: Bool = false, transposeB: Bool = false, accumulatingInto accumulator: DenseTensor
    ) -> DenseTensor {
        let (m, k) = transposeA ? (shape[1], shape[0]) : (shape[0], shape[1])
        let (k2, n) = transposeB ? (other.shape[1], other.shape[0]) : (other.shape[0], other.shape[1])
        trapUnless(k == k2, "mat1 and mat2 shapes cannot be multiplied (\(m)x\(k) and \(k2)x\(n))")
        trapUnless(accumulator.shape == [m, n], "matmul: accumulator of shape \(accumulator.shape) for [\(m), \(n)]")
        if m == 0 || n == 0 || k == 0 { return accumulator }
        trapUnless(accumulator.isContiguous, "matmul: a strided accumulator")
        let a = blasOperand(), b = other.blasOperand()
        blasGemm(transA: transposeA != a.transposed, transB: transposeB != b.transposed, m: m, n: n, k: k, alpha: 1,
                    a: a.tensor.start, lda: a.ld, b: b.tensor.start, ldb: b.ld, beta: 1, c: accumulator.start, ldc: n)
        withExtendedLifetime((a, b)) {}
        return accumulator
    }

    /// `self · Wᵀ + b` for `self` `[N, in]`, `weight` `[out, in]`, `bias` `[out]` (a linear layer).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func linear(weight: DenseTensor, bias: DenseTensor?) -> DenseTensor {
        guard let bias else { return matmul(weight, transposeB: true) }
        // A fresh [N, out] buffer holding the bias in every row; GEMM then adds x · Wᵀ onto it.
        // Always a new buffer (GEMM writes into it): never the bias's own storage.
        let rows = Self.gather([shape[0], bias.count], [0, bias.dimensionStride(0)], offset: bias.offset, from: bias.storage)
        return matmul(weight, transposeB: true, accumulatingInto: rows)
    }

    /// `op(self) · vector` for a 2-D `self` and a 1-D `vector`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func matvec(_ vector: DenseTensor, transpose: Bool = false) -> DenseTensor {
        trapUnless(rank == 2 && vector.rank == 1, "mv expects a 2-D matrix and a 1-D vector, got \(shape) and \(vector.shape)")
        let (m, n) = (shape[0], shape[1])
        let (rows, cols) = transpose ? (n, m) : (m, n)
        trapUnless(cols == vector.shape[0],
            "size mismatch, got input (\(rows)), mat (\(rows)x\(cols)), vec (\(vector.shape[0]))")
        if rows == 0 { return DenseTensor(uninitializedShape: [0]) }
        if cols == 0 { return DenseTensor(shape: [rows], repeating: 0) }
        let out = DenseTensor(uninitializedShape: [rows])
        let a = blasOperand(), x = vector.contiguous()
        // A column-major matrix is its transpose row-major: m×n becomes n×m.
        let (mm, nn) = a.transposed ? (n, m) : (m, n)
        blasGemv(transA: transpose != a.transposed, m: mm, n: nn, alpha: 1, a: a.tensor.start, lda: a.ld,
                    x: x.start, beta: 0, y: out.start)
        withExtendedLifetime((a, x)) {}
        return out
    }

    /// The outer product `self ⊗ other` of two 1-D tensors, an m×n matrix.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func outer(_ other: DenseTensor) -> DenseTensor {
        reshaped([count, 1]).matmul(other.reshaped([1, other.count]))
    }
}
