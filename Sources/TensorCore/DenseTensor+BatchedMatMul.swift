import Arena

extension DenseTensor where Scalar: TensorScalar {
    /// `op(self[i]) · op(other[i])` for each `i` of the first dimension of two 3-D tensors
    /// (PyTorch's `bmm`), `op` being the transpose of the last two dimensions when asked. Each
    /// batch is one GEMM call on its matrix as it lies (a transposed batch is read with a
    /// transpose flag, not copied), written straight into its slice of the output.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func bmm(_ other: DenseTensor, transposeA: Bool = false, transposeB: Bool = false) -> DenseTensor {
        trapUnless(rank == 3, "batch1 must be a 3D tensor")
        trapUnless(other.rank == 3, "batch2 must be a 3D tensor")
        let batches = shape[0]
        let (m, k) = transposeA ? (shape[2], shape[1]) : (shape[1], shape[2])
        let (k2, n) = transposeB ? (other.shape[2], other.shape[1]) : (other.shape[1], other.shape[2])
        trapUnless(other.shape[0] == batches,
                   "Expected size for first two dimensions of batch2 tensor to be: [\(batches), \(k)] but got: [\(other.shape[0]), \(k2)].")
        trapUnless(k == k2,
                   "Expected size for first two dimensions of batch2 tensor to be: [\(batches), \(k)] but got: [\(other.shape[0]), \(k2)].")
        if batches == 0 || m == 0 || n == 0 { return DenseTensor(uninitializedShape: [batches, m, n]) }
        if k == 0 { return DenseTensor(shape: [batches, m, n], repeating: 0) }
        let out = DenseTensor(uninitializedShape: [batches, m, n])
        for i in 0..<batches {
            let a = selected(dim: 0, index: i).blasOperand(), b = other.selected(dim: 0, index: i).blasOperand()
            blasGemm(transA: transposeA != a.transposed, transB: transposeB != b.transposed, m: m, n: n, k: k, alpha: 1,
                     a: a.tensor.start, lda: a.ld, b: b.tensor.start, ldb: b.ld, beta: 0, c: out.start + i * m * n, ldc: n)
            withExtendedLifetime((a, b)) {}
        }
        return out
    }

    /// The inner product of two 1-D tensors of one length, a 0-d tensor (PyTorch's `dot`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func dot(_ other: DenseTensor) -> DenseTensor {
        trapUnless(rank == 1 && other.rank == 1,
                   "1D tensors expected, but got \(rank)D and \(other.rank)D tensors")
        trapUnless(count == other.count,
                   "inconsistent tensor size, expected tensor [\(count)] and src [\(other.count)] to have the same number of elements, but got \(count) and \(other.count) elements respectively")
        return reshaped([1, count]).matmul(other.reshaped([count, 1])).reshaped([])
    }
}
