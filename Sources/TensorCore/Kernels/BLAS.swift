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
    /// `C = alpha · op(A) · op(B) + beta · C` in single precision, by OpenBLAS's `cblas_sgemm`
    /// (row-major; a transpose is a flag, never a copy).
    ///
    /// `op(A)` is m×k and `op(B)` k×n; `lda`, `ldb`, `ldc` are the row strides of the matrices as
    /// stored. Nothing is checked: the pointers must cover those extents, and a size that does not
    /// fit in `blasint` (`Int32`) traps. Runs on one thread below ``BLASLibrary/singleThreadBelow``
    /// multiply-adds, else on up to ``BLASLibrary/maxThreads``. Sums in a blocked order, so the
    /// last bits can differ from a naive loop's (the usual `k·ε·Σ|a||b|` bound).
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLASLibrary.prepareThreads(forWork: m * n * k).sgemm(
            CblasRowMajor, flag(transA), flag(transB), blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    /// `y = alpha · op(A) · x + beta · y` in single precision, by OpenBLAS's `cblas_sgemv`
    /// (row-major A of m×n with row stride `lda`; `x` and `y` contiguous).
    ///
    /// `x` has `n` elements and `y` `m` (the reverse when `transA`). Nothing is checked: the pointers
    /// must cover those extents, and a size that does not fit in `blasint` (`Int32`) traps. Runs on one
    /// thread below ``BLASLibrary/singleThreadBelow`` multiply-adds.
    public static func gemv(
        transA: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        BLASLibrary.prepareThreads(forWork: m * n).sgemv(
            CblasRowMajor, flag(transA), blasint(m), blasint(n), alpha, a, blasint(lda), x, 1, beta, y, 1)
    }
}

extension Double: BLASScalar {
    /// `C = alpha · op(A) · op(B) + beta · C` in double precision, by OpenBLAS's `cblas_dgemm`
    /// (row-major; a transpose is a flag, never a copy).
    ///
    /// `op(A)` is m×k and `op(B)` k×n; `lda`, `ldb`, `ldc` are the row strides of the matrices as
    /// stored. Nothing is checked: the pointers must cover those extents, and a size that does not
    /// fit in `blasint` (`Int32`) traps. Runs on one thread below ``BLASLibrary/singleThreadBelow``
    /// multiply-adds, else on up to ``BLASLibrary/maxThreads``. Sums in a blocked order, so the
    /// last bits can differ from a naive loop's (the usual `k·ε·Σ|a||b|` bound).
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        BLASLibrary.prepareThreads(forWork: m * n * k).dgemm(
            CblasRowMajor, flag(transA), flag(transB), blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    /// `y = alpha · op(A) · x + beta · y` in double precision, by OpenBLAS's `cblas_dgemv`
    /// (row-major A of m×n with row stride `lda`; `x` and `y` contiguous).
    ///
    /// `x` has `n` elements and `y` `m` (the reverse when `transA`). Nothing is checked: the pointers
    /// must cover those extents, and a size that does not fit in `blasint` (`Int32`) traps. Runs on one
    /// thread below ``BLASLibrary/singleThreadBelow`` multiply-adds.
    public static func gemv(
        transA: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>
    ) {
        BLASLibrary.prepareThreads(forWork: m * n).dgemv(
            CblasRowMajor, flag(transA), blasint(m), blasint(n), alpha, a, blasint(lda), x, 1, beta, y, 1)
    }
}
