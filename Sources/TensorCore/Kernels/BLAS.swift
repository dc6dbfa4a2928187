import COpenBLAS

// Matrix products go to OpenBLAS: a tuned GEMM beats anything we would write by hand, and
// transposes are passed as flags (CblasTrans), never materialized. See Note [BLAS kernels].

/// The BLAS routines for one scalar type (`sgemm`/`dgemm` and `sgemv`/`dgemv`).
public protocol BLASScalar {
    /// `C = alpha · op(A) · op(B) + beta · C`, row-major, `op(A)` m×k, `op(B)` k×n.
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// `y = alpha · op(A) · x + beta · y`, row-major A of m×n.
    static func gemv(
        transA: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>)
}

@inline(__always)
private func flag(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: BLASScalar {
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLASLibrary.prepareThreads(forWork: m * n * k).sgemm(
            CblasRowMajor, flag(transA), flag(transB), blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func gemv(
        transA: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        BLASLibrary.prepareThreads(forWork: m * n).sgemv(
            CblasRowMajor, flag(transA), blasint(m), blasint(n), alpha, a, blasint(lda), x, 1, beta, y, 1)
    }
}

extension Double: BLASScalar {
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        BLASLibrary.prepareThreads(forWork: m * n * k).dgemm(
            CblasRowMajor, flag(transA), flag(transB), blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func gemv(
        transA: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>
    ) {
        BLASLibrary.prepareThreads(forWork: m * n).dgemv(
            CblasRowMajor, flag(transA), blasint(m), blasint(n), alpha, a, blasint(lda), x, 1, beta, y, 1)
    }
}
