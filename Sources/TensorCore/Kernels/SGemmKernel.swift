import Arena
import CTensorCoreShims
import Synchronization

/// The library's own single-precision GEMM (AVX-512), used instead of OpenBLAS for the products
/// where OpenBLAS's packing and set-up cost more than the arithmetic saves: see Note [Own sgemm
/// kernel] in `sgemm_avx512.c`.
///
/// Products of ``minimumWork`` to ``maximumWork`` multiply-adds (m·n·k) with at least 32 columns
/// go to it when the CPU has AVX-512F; other products, double precision and CPUs without AVX-512
/// go to OpenBLAS. Set
/// `TENSORCORE_SGEMM=openblas` in the environment (or ``isEnabled`` to `false`) to send every
/// product to OpenBLAS, e.g. to compare the two (see ``isEnabled``):
///
/// ```swift
/// SGemmKernel.isEnabled = false   // OpenBLAS for every product from here on
/// ```
public enum SGemmKernel {
    /// Whether this CPU can run the kernel (x86-64 with AVX-512F and FMA) and the environment does
    /// not ask for the AVX2 paths (`TENSORCORE_ISA=avx2`).
    public static var isAvailable: Bool { avx512KernelsAvailable }

    /// Whether products go to the kernel at all. Default: ``isAvailable`` in an optimized build;
    /// off in a debug build, whose unoptimized C kernel is many times slower than OpenBLAS. The
    /// environment overrides it: `TENSORCORE_SGEMM=openblas` turns it off, `TENSORCORE_SGEMM=own`
    /// on (debug builds too). Setting `true` on a CPU without AVX-512 has no effect.
    public static var isEnabled: Bool {
        get { enabledSetting.load(ordering: .relaxed) }
        set { enabledSetting.store(newValue && isAvailable, ordering: .relaxed) }
    }

    /// The smallest product (m·n·k multiply-adds) the kernel takes: 2¹⁹ (64·128·64). Below it both
    /// take a few microseconds and OpenBLAS is as fast or faster (64³: 0.89–0.93×); just above it
    /// the two trade places (96³: 0.92×, 64·128·64 with Bᵀ: 1.10×, 128³: 1.16–1.23×).
    public static var minimumWork: Int {
        get { minimumSetting.load(ordering: .relaxed) }
        set { minimumSetting.store(newValue, ordering: .relaxed) }
    }

    /// The largest product the kernel takes: 2²⁵ (a bit over 322³). Measured against OpenBLAS
    /// 0.3.21 (SkylakeX kernels) side by side on one core, it runs n = 128 at 1.16–1.23× and
    /// n = 192–256 at 0.97–1.07× OpenBLAS's speed, but 384–512 at 0.86–0.99× and the 256×512×512
    /// products of a 512-wide layer at 0.86–0.94×: above this size OpenBLAS's packing pays. (That
    /// was an Intel Xeon; on an AMD Zen 4, n = 128, 256 and 512 ran at 1.12×, 1.05× and 0.99×.)
    /// Products with fewer than 32 columns (n) always go to OpenBLAS: the 32-wide tile would run
    /// mostly masked (64×10×128: 0.42×).
    public static var maximumWork: Int {
        get { maximumSetting.load(ordering: .relaxed) }
        set { maximumSetting.store(newValue, ordering: .relaxed) }
    }

    private static let enabledSetting: Atomic<Bool> = {
        switch getenv("TENSORCORE_SGEMM").map({ String(cString: $0) }) {
        case "openblas": return Atomic(false)
        case "own": return Atomic(isAvailable)   // also in a debug build: the test suite runs with it once
        default: return Atomic(isAvailable && _tensorcore_sgemm_optimized())
        }
    }()
    private static let minimumSetting = Atomic<Int>(1 << 19)
    private static let maximumSetting = Atomic<Int>(1 << 25)

    /// Whether `Float.gemm` sends this product here.
    @inline(__always)
    static func takes(m: Int, n: Int, k: Int) -> Bool {
        guard n >= 32, k > 0, isEnabled else { return false }
        let work = m &* n &* k
        return work >= minimumWork && work <= maximumWork
    }

    /// `C = alpha · op(A) · op(B) + beta · C` (row-major, as ``BLASScalar/gemm``), split by rows of
    /// C across threads when large enough; `op(B) = Bᵀ` is packed once and shared by the threads.
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard transB else {
            return run(transA: transA, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                       b: b, ldb: ldb, packed: false, beta: beta, c: c, ldc: ldc)
        }
        let count = _tensorcore_sgemm_packed_count(k, n)
        let bytes = count * MemoryLayout<Float>.stride
        let packed = BufferCache.allocate(byteCount: bytes).bindMemory(to: Float.self, capacity: count)
        defer { BufferCache.deallocate(packed, byteCount: bytes) }
        _tensorcore_sgemm_pack_bt(k, n, b, ldb, packed)
        run(transA: transA, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
            b: packed, ldb: 0, packed: true, beta: beta, c: c, ldc: ldc)
    }

    /// One call per block of C's rows (or, for unpacked B and a wide C, of its columns, cut at
    /// multiples of the tile's 32 columns).
    @inline(__always)
    private static func run(
        transA: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, packed: Bool,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        // A packed B is whole panels of 32 columns: it splits by rows only.
        forEachOutputBlock(packed ? .ownKernelPackedB : .ownKernel, m: m, n: n, k: k) { rows, columns in
            _tensorcore_sgemm(transA, rows.count, columns.count, k, alpha,
                              transA ? a + rows.lowerBound : a + rows.lowerBound * lda, lda,
                              packed ? b : b + columns.lowerBound, ldb, packed, beta,
                              c + rows.lowerBound * ldc + columns.lowerBound, ldc)
        }
    }
}
