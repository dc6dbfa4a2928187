import COpenBLAS

// Matrix products go to OpenBLAS, but for single-precision ones small enough that its packing
// and set-up dominate (SGemmKernel, Note [Own sgemm kernel]). Transposes are passed as flags,
// never materialized. See Note [BLAS kernels].

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

// Note [Splitting products]: OpenBLAS 0.3.21's own threading barely scales on the 2-vCPU
// machines this library is measured on (sgemm n=1024: 14.5 ms on one thread, 10.9 ms on two;
// MKL's takes PyTorch from 17.0 to 7.5 ms), so a large product is cut here instead: the output
// in one block of rows (or of columns, when it is wide and short) per thread, each block an
// independent single-threaded GEMM on its own core. Each output element is computed by the same
// kernel over the same k, so the split does not change a single bit of the result.

/// Runs `gemm(blas, m, n, a, b, c)` once for the whole product, or, when it is large enough for
/// several threads, once per block of the output's rows (or columns, when it is wider than tall)
/// concurrently, with the operand pointers offset for each block (`op(A)` m×k, `op(B)` k×n,
/// row-major). `gemm` is the one call that differs between the scalar types.
@inline(__always)
private func blockedGemm<S>(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    a: UnsafePointer<S>, lda: Int, b: UnsafePointer<S>, ldb: Int, c: UnsafeMutablePointer<S>, ldc: Int,
    _ gemm: (_ blas: BLASLibrary.Symbols, _ m: Int, _ n: Int,
             _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ c: UnsafeMutablePointer<S>) -> Void
) {
    let parts = gemmParts(work: m * n * k, m: m, n: n)
    let blas = BLASLibrary.prepareThreads(forWork: parts > 1 ? 0 : m * n * k)
    forEachOutputBlock(parts: parts, m: m, n: n) { rows, columns in
        gemm(blas, rows.count, columns.count, transA ? a + rows.lowerBound : a + rows.lowerBound * lda,
             transB ? b + columns.lowerBound * ldb : b + columns.lowerBound,
             c + rows.lowerBound * ldc + columns.lowerBound)
    }
}

/// Calls `block(rows, columns)` once for the whole m×n output of a product when `parts` ≤ 1, else
/// once per block of its rows, or of its columns when it is wider than tall and `splitColumns`,
/// concurrently (Note [Splitting products]). Column blocks start at multiples of `columnAlignment`.
@inline(__always)
func forEachOutputBlock(
    parts: Int, m: Int, n: Int, splitColumns: Bool = true, columnAlignment: Int = 1,
    _ block: (_ rows: Range<Int>, _ columns: Range<Int>) -> Void
) {
    if parts <= 1 { return block(0..<m, 0..<n) }
    let byRows = m >= n || !splitColumns
    let step = byRows
        ? (m + parts - 1) / parts
        : ((n + parts - 1) / parts + columnAlignment - 1) / columnAlignment * columnAlignment
    Parallel.forEachPart(parts) { part in
        let lo = part * step, hi = Swift.min(byRows ? m : n, lo + step)
        guard lo < hi else { return }
        block(byRows ? lo..<hi : 0..<m, byRows ? 0..<n : lo..<hi)
    }
}

/// How many blocks a product of `work` multiply-adds is split into (1: OpenBLAS runs it as is).
@inline(__always)
func gemmParts(work: Int, m: Int, n: Int) -> Int {
    let threads = BLASLibrary.maxThreads
    guard threads > 1, work >= BLASLibrary.singleThreadBelow else { return 1 }
    return Swift.min(threads, Swift.max(m, n) / 16, 8)
}

extension Float: BLASScalar {
    /// `C = alpha · op(A) · op(B) + beta · C` in single precision, by ``SGemmKernel`` up to its
    /// ``SGemmKernel/maximumWork`` and OpenBLAS's `cblas_sgemm` above (row-major; a transpose is a
    /// flag, never a copy).
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
        if SGemmKernel.takes(m: m, n: n, k: k, transB: transB, ldb: ldb) {
            return SGemmKernel.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                    a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
        blockedGemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) {
            $0.sgemm(CblasRowMajor, flag(transA), flag(transB), blasint($1), blasint($2), blasint(k),
                    alpha, $3, blasint(lda), $4, blasint(ldb), beta, $5, blasint(ldc))
        }
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
        blockedGemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) {
            $0.dgemm(CblasRowMajor, flag(transA), flag(transB), blasint($1), blasint($2), blasint(k),
                    alpha, $3, blasint(lda), $4, blasint(ldb), beta, $5, blasint(ldc))
        }
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
