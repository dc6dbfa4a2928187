import Arena

/// Matrix products through BLAS. `transposeA`/`transposeB` read an operand as its transpose
/// without copying it, which is what the derivatives of a product need.
extension DenseTensor {
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
        storage.read { a in other.storage.read { b in out.storage.update { c in
            Scalar.gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: 1,
                        a: a.baseAddress!, lda: shape[1], b: b.baseAddress!, ldb: other.shape[1],
                        beta: 0, c: c.baseAddress!, ldc: n)
        } } }
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
        storage.read { a in other.storage.read { b in accumulator.storage.update { c in
            Scalar.gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: 1,
                        a: a.baseAddress!, lda: shape[1], b: b.baseAddress!, ldb: other.shape[1],
                        beta: 1, c: c.baseAddress!, ldc: n)
        } } }
        return accumulator
    }

    /// `self · Wᵀ + b` for `self` `[N, in]`, `weight` `[out, in]`, `bias` `[out]` (a linear layer).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func linear(weight: DenseTensor, bias: DenseTensor?) -> DenseTensor {
        guard let bias else { return matmul(weight, transposeB: true) }
        // A fresh [N, out] buffer holding the bias in every row; GEMM then adds x · Wᵀ onto it.
        let rows = Self.gather([shape[0], bias.count], [0, 1], from: bias)
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
        storage.read { a in vector.storage.read { x in out.storage.update { y in
            Scalar.gemv(transA: transpose, m: m, n: n, alpha: 1, a: a.baseAddress!, lda: n,
                        x: x.baseAddress!, beta: 0, y: y.baseAddress!)
        } } }
        return out
    }

    /// The outer product `self ⊗ other` of two 1-D tensors, an m×n matrix.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func outer(_ other: DenseTensor) -> DenseTensor {
        reshaped([count, 1]).matmul(other.reshaped([1, other.count]))
    }
}
