import Arena
import COpenBLAS

// Matrix products go to OpenBLAS, but for single-precision ones small enough that its packing
// and set-up dominate (SGemmKernel, Note [Own sgemm kernel]). Transposes are passed as flags,
// never materialized. See Note [BLAS kernels].

/// The BLAS routines for one scalar type (`sgemm`/`dgemm` and `sgemv`/`dgemv`). Internal: raw
/// pointers stay out of the public API; kernels reach them through ``blasGemm`` and ``blasGemv``.
protocol BLASScalar {
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

/// `S`'s `gemm` (``BLASScalar/gemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``): Float's or
/// Double's, chosen when the caller is specialized.
@inline(__always)
func blasGemm<S: TensorScalar>(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: S,
    a: UnsafePointer<S>, lda: Int, b: UnsafePointer<S>, ldb: Int,
    beta: S, c: UnsafeMutablePointer<S>, ldc: Int
) {
    func run<T: BLASScalar>(_: T.Type) {
        T.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: unsafeBitCast(alpha, to: T.self),
               a: UnsafeRawPointer(a).assumingMemoryBound(to: T.self), lda: lda,
               b: UnsafeRawPointer(b).assumingMemoryBound(to: T.self), ldb: ldb,
               beta: unsafeBitCast(beta, to: T.self), c: UnsafeMutableRawPointer(c).assumingMemoryBound(to: T.self), ldc: ldc)
    }
    if S.self == Float.self { run(Float.self) } else if S.self == Double.self { run(Double.self) } else { trap("no BLAS for \(S.self)") }
}

/// `S`'s `gemv` (``BLASScalar/gemv(transA:m:n:alpha:a:lda:x:beta:y:)``).
@inline(__always)
func blasGemv<S: TensorScalar>(
    transA: Bool, m: Int, n: Int, alpha: S, a: UnsafePointer<S>, lda: Int,
    x: UnsafePointer<S>, beta: S, y: UnsafeMutablePointer<S>
) {
    func run<T: BLASScalar>(_: T.Type) {
        T.gemv(transA: transA, m: m, n: n, alpha: unsafeBitCast(alpha, to: T.self),
               a: UnsafeRawPointer(a).assumingMemoryBound(to: T.self), lda: lda,
               x: UnsafeRawPointer(x).assumingMemoryBound(to: T.self),
               beta: unsafeBitCast(beta, to: T.self), y: UnsafeMutableRawPointer(y).assumingMemoryBound(to: T.self))
    }
    if S.self == Float.self { run(Float.self) } else if S.self == Double.self { run(Double.self) } else { trap("no BLAS for \(S.self)") }
}

@inline(__always)
private func flag(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

// Note [Splitting products]: OpenBLAS 0.3.21's own threading barely scales on the 2-vCPU
// machines this library is measured on (sgemm n=1024: 14.5 ms on one thread, 10.9 ms on two;
// MKL's takes PyTorch from 17.0 to 7.5 ms), so a large product is cut here instead: the output
// in one block of rows (or of columns, when it is wide and short) per thread, each block an
// independent single-threaded GEMM on its own core.
//
// Note [Exact splits]: the library promises that a product's bits do not depend on the thread
// count. A block computes each of its elements by the same chain of FMAs as the whole product
// only where the block's edges fall on the kernel's register tiles and the block is big enough
// for the same code path, and both depend on the kernel family. Measured on Debian's OpenBLAS
// 0.3.21 (split vs whole, random shapes with m·n·k ≥ 2²⁰, parts of 2–4, every transpose pair):
//
// | family   | sgemm rows | sgemm columns | dgemm rows | dgemm columns | each block's m·n·k |
// | Haswell  | 12         | never exact   | 4          | 8             | any                |
// | SkylakeX | 1          | 1             | 12         | never exact   | > 10⁶              |
//
// (SkylakeX runs products of m·n·k ≤ 10⁶ on its "small matrix" kernels, which sum in another
// order: `sgemm_small_kernel_permit_skylakex.c`.) OpenBLAS's own threads are never exact (2 vs
// 1 thread: 53–58 of 60 narrow products and 40 of 60 gemvs differed), so it always runs on one.
// A product that no exact split fits runs whole on one thread; for a family not in the table
// (an `OPENBLAS_CORETYPE` set by the user) the library splits rows at multiples of 12 into
// blocks of more than 10⁶, which held for both families but is not promised. The own sgemm kernel
// computes every element by one chain whatever its block (ExactSplit.ownKernel).

/// Where a kernel family may cut a product's output so that every element keeps its bits
/// (Note [Exact splits]).
struct ExactSplit: Sendable, Equatable {
    /// Row blocks start at multiples of this.
    var rowAlignment: Int
    /// Column blocks start at multiples of this; `nil` when a column split is never exact.
    var columnAlignment: Int?
    /// The fewest multiply-adds (m·n·k) a block may have.
    var minimumBlockWork: Int
    /// Whether the table of Note [Exact splits] covers this family (else the split is a guess).
    var isMeasured: Bool

    /// The library's own sgemm kernel: any row block, 32-column blocks (its tile's width).
    static let ownKernel = ExactSplit(rowAlignment: 1, columnAlignment: 32, minimumBlockWork: 0, isMeasured: true)
    /// The own kernel with a packed Bᵀ, whole 32-column panels shared by the threads: rows only.
    static let ownKernelPackedB = ExactSplit(rowAlignment: 1, columnAlignment: nil, minimumBlockWork: 0, isMeasured: true)
    /// A family not measured: rows at multiples of 12, blocks above 10⁶.
    static let unmeasured = ExactSplit(rowAlignment: 12, columnAlignment: nil, minimumBlockWork: 1_000_001, isMeasured: false)

    /// The blocks of an m×n output of `k`-long dot products for `threads` threads: `count` blocks
    /// of `step` rows (or columns), the last one shorter. `count` is 1 when the product runs whole.
    func blocks(m: Int, n: Int, k: Int, threads: Int) -> (byRows: Bool, step: Int, count: Int) {
        let whole = (byRows: true, step: m, count: 1)
        guard threads > 1, m &* n &* k >= BLASLibrary.singleThreadBelow else { return whole }
        let byRows = m >= n || columnAlignment == nil
        let length = byRows ? m : n, across = byRows ? n : m
        let alignment = byRows ? rowAlignment : columnAlignment!
        var parts = Swift.min(threads, Swift.max(m, n) / 16, 8)
        while parts > 1 {
            let step = ((length + parts - 1) / parts + alignment - 1) / alignment * alignment
            let count = (length + step - 1) / step
            let last = length - (count - 1) * step
            if count > 1 && last &* across &* k >= minimumBlockWork { return (byRows, step, count) }
            parts -= 1
        }
        return whole
    }
}

/// Runs `gemm(blas, m, n, a, b, c)` once for the whole product, or once per block of its output
/// (``ExactSplit/blocks(m:n:k:threads:)``) concurrently, with the operand pointers offset for each
/// block (`op(A)` m×k, `op(B)` k×n, row-major). `gemm` is the one call that differs between the
/// scalar types.
@inline(__always)
private func blockedGemm<S>(
    _ split: ExactSplit, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    a: UnsafePointer<S>, lda: Int, b: UnsafePointer<S>, ldb: Int, c: UnsafeMutablePointer<S>, ldc: Int,
    _ gemm: (_ blas: BLASLibrary.Symbols, _ m: Int, _ n: Int,
             _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ c: UnsafeMutablePointer<S>) -> Void
) {
    let blas = BLASLibrary.symbols
    forEachOutputBlock(split, m: m, n: n, k: k) { rows, columns in
        gemm(blas, rows.count, columns.count, transA ? a + rows.lowerBound : a + rows.lowerBound * lda,
             transB ? b + columns.lowerBound * ldb : b + columns.lowerBound,
             c + rows.lowerBound * ldc + columns.lowerBound)
    }
}

/// Calls `block(rows, columns)` once for the whole m×n output of a product, or once per block of
/// it that `split` allows (Note [Exact splits]), concurrently.
@inline(__always)
func forEachOutputBlock(
    _ split: ExactSplit, m: Int, n: Int, k: Int, _ block: (_ rows: Range<Int>, _ columns: Range<Int>) -> Void
) {
    let (byRows, step, count) = split.blocks(m: m, n: n, k: k, threads: BLASLibrary.maxThreads)
    if count <= 1 { return block(0..<m, 0..<n) }
    Parallel.forEachPart(count) { part in
        let lo = part * step, hi = Swift.min(byRows ? m : n, lo + step)
        block(byRows ? lo..<hi : 0..<m, byRows ? 0..<n : lo..<hi)
    }
}

extension Float: BLASScalar {
    /// `C = alpha · op(A) · op(B) + beta · C` in single precision, by ``SGemmKernel`` up to its
    /// ``SGemmKernel/maximumWork`` and OpenBLAS's `cblas_sgemm` above (row-major; a transpose is a
    /// flag, never a copy).
    ///
    /// `op(A)` is m×k and `op(B)` k×n; `lda`, `ldb`, `ldc` are the row strides of the matrices as
    /// stored. Nothing is checked: the pointers must cover those extents, and a size that does not
    /// fit in `blasint` (`Int32`) traps. Runs on one thread below ``BLASLibrary/singleThreadBelow``
    /// multiply-adds, else on up to ``BLASLibrary/maxThreads``, split only where the split keeps
    /// every bit (Note [Exact splits]): the result does not depend on the thread count. Sums in a
    /// blocked order, so the last bits can differ from a naive loop's (the usual `k·ε·Σ|a||b|` bound).
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if SGemmKernel.takes(m: m, n: n, k: k) {
            return SGemmKernel.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                    a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
        blockedGemm(BLASLibrary.split(for: Self.self), transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) {
            $0.sgemm(CblasRowMajor, flag(transA), flag(transB), blasint($1), blasint($2), blasint(k),
                    alpha, $3, blasint(lda), $4, blasint(ldb), beta, $5, blasint(ldc))
        }
    }
    /// `y = alpha · op(A) · x + beta · y` in single precision, by OpenBLAS's `cblas_sgemv`
    /// (row-major A of m×n with row stride `lda`; `x` and `y` contiguous).
    ///
    /// `x` has `n` elements and `y` `m` (the reverse when `transA`). Nothing is checked: the pointers
    /// must cover those extents, and a size that does not fit in `blasint` (`Int32`) traps. Runs on one
    /// thread: OpenBLAS's threaded gemv sums in another order (Note [Exact splits]).
    static func gemv(
        transA: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        BLASLibrary.symbols.sgemv(
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
    /// multiply-adds, else on up to ``BLASLibrary/maxThreads``, split only where the split keeps
    /// every bit (Note [Exact splits]): the result does not depend on the thread count. Sums in a
    /// blocked order, so the last bits can differ from a naive loop's (the usual `k·ε·Σ|a||b|` bound).
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        blockedGemm(BLASLibrary.split(for: Self.self), transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) {
            $0.dgemm(CblasRowMajor, flag(transA), flag(transB), blasint($1), blasint($2), blasint(k),
                    alpha, $3, blasint(lda), $4, blasint(ldb), beta, $5, blasint(ldc))
        }
    }
    /// `y = alpha · op(A) · x + beta · y` in double precision, by OpenBLAS's `cblas_dgemv`
    /// (row-major A of m×n with row stride `lda`; `x` and `y` contiguous).
    ///
    /// `x` has `n` elements and `y` `m` (the reverse when `transA`). Nothing is checked: the pointers
    /// must cover those extents, and a size that does not fit in `blasint` (`Int32`) traps. Runs on one
    /// thread: OpenBLAS's threaded gemv sums in another order (Note [Exact splits]).
    static func gemv(
        transA: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>
    ) {
        BLASLibrary.symbols.dgemv(
            CblasRowMajor, flag(transA), blasint(m), blasint(n), alpha, a, blasint(lda), x, 1, beta, y, 1)
    }
}
