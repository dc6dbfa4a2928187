#if canImport(Glibc)
import Glibc
#endif
import COpenBLAS
import CTensorCoreShims
import Synchronization

/// OpenBLAS, loaded at first use with the kernel set this CPU deserves.
///
/// Note [BLAS kernels]: Debian's OpenBLAS 0.3.21 picks its kernels when the library is loaded,
/// from `OPENBLAS_CORETYPE` or its own CPU detection, and its detection does not know recent
/// CPUs (AMD Zen 5 here): it falls back to the SSE3 "Prescott" kernels, 4–8× slower than its
/// AVX2/AVX-512 ones. Linking it would load it before any of our code runs, so instead it is
/// `dlopen`ed on first use, after `OPENBLAS_CORETYPE` is set from the CPU's features — unless
/// the environment already sets it, which always wins.
///
/// Note [One thread pool]: large products are split across our own worker pool (Note [Splitting
/// products]), each block a one-thread OpenBLAS call, so OpenBLAS's own threads have nothing to
/// do. Started anyway (one per core), an idle one kept spinning in `sched_yield` beside ours: in
/// `perf record` of the plain mlp-large step on 2 threads it took 7.5 % of the samples, and our
/// main thread spent 16.8 % waiting in `WorkerPool.run` for the worker that shared a vCPU with it
/// (4.5 % once it was gone, the two sgemm halves then 31 % and 32 %). So OpenBLAS is loaded with
/// `OPENBLAS_NUM_THREADS=1`, unless the environment sets it, and told to use one thread: its
/// threaded products and gemvs sum in another order than its one-thread ones, and a result must
/// not depend on the thread count (Note [Exact splits]).
public enum BLASLibrary {
    // C function types can't be generic: one per scalar type, matching cblas.h.
    typealias SGemm = @convention(c) (
        CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint,
        Float, UnsafePointer<Float>?, blasint, UnsafePointer<Float>?, blasint, Float, UnsafeMutablePointer<Float>?, blasint) -> Void
    typealias DGemm = @convention(c) (
        CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint,
        Double, UnsafePointer<Double>?, blasint, UnsafePointer<Double>?, blasint, Double, UnsafeMutablePointer<Double>?, blasint) -> Void
    typealias SGemv = @convention(c) (
        CBLAS_ORDER, CBLAS_TRANSPOSE, blasint, blasint, Float, UnsafePointer<Float>?, blasint,
        UnsafePointer<Float>?, blasint, Float, UnsafeMutablePointer<Float>?, blasint) -> Void
    typealias DGemv = @convention(c) (
        CBLAS_ORDER, CBLAS_TRANSPOSE, blasint, blasint, Double, UnsafePointer<Double>?, blasint,
        UnsafePointer<Double>?, blasint, Double, UnsafeMutablePointer<Double>?, blasint) -> Void

    struct Symbols: @unchecked Sendable {
        let sgemm: SGemm
        let dgemm: DGemm
        let sgemv: SGemv
        let dgemv: DGemv
        let setThreads: @convention(c) (Int32) -> Void
        let coreName: @convention(c) () -> UnsafeMutablePointer<CChar>?
        let coreTypeChosen: String?
    }

    /// Loaded once, thread-safely (a global's initializer runs exactly once).
    static let symbols: Symbols = load()

    /// The kernel set OpenBLAS runs (e.g. "SkylakeX", "Haswell", "Prescott").
    public static var coreName: String {
        symbols.coreName().map { String(cString: $0) } ?? "unknown"
    }

    /// The `OPENBLAS_CORETYPE` this library chose, or `nil` when the environment set it (or
    /// the CPU has neither AVX2 nor AVX-512, and OpenBLAS detects it itself).
    public static var chosenCoreType: String? { symbols.coreTypeChosen }

    /// The most threads a product may use (default: every core). Products smaller than
    /// ``singleThreadBelow`` multiply-adds run on one thread: waking a second costs more there.
    /// Whatever the setting, a product's result is the same to the last bit (Note [Exact splits]).
    public static var maxThreads: Int {
        get { maxThreadsSetting.load(ordering: .relaxed) }
        set { maxThreadsSetting.store(Swift.max(1, newValue), ordering: .relaxed) }
    }

    /// The size (m·n·k) below which a product runs on one thread.
    public static var singleThreadBelow: Int {
        get { singleThreadSetting.load(ordering: .relaxed) }
        set { singleThreadSetting.store(newValue, ordering: .relaxed) }
    }

    private static let maxThreadsSetting = Atomic<Int>(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    private static let singleThreadSetting = Atomic<Int>(1 << 20)

    /// Where OpenBLAS's kernels for `S` may split a product (Note [Exact splits]).
    static func split<S>(for _: S.Type) -> ExactSplit {
        S.self == Double.self ? splits.double : splits.float
    }

    /// The splits of the family OpenBLAS runs, read once it is loaded.
    static let splits: (float: ExactSplit, double: ExactSplit) = {
        switch coreName {
        case "Haswell":
            return (ExactSplit(rowAlignment: 12, columnAlignment: nil, minimumBlockWork: 0, isMeasured: true),
                    ExactSplit(rowAlignment: 4, columnAlignment: 8, minimumBlockWork: 0, isMeasured: true))
        case "SkylakeX":
            return (ExactSplit(rowAlignment: 1, columnAlignment: 1, minimumBlockWork: 1_000_001, isMeasured: true),
                    ExactSplit(rowAlignment: 12, columnAlignment: nil, minimumBlockWork: 1_000_001, isMeasured: true))
        default:
            return (.unmeasured, .unmeasured)
        }
    }()

    /// The kernel set for this CPU: AVX-512 (F, BW, DQ, VL) → SkylakeX, AVX2 + FMA → Haswell
    /// (also on an AVX-512 CPU when `TENSORCORE_ISA=avx2`, see ``InstructionSet``).
    static func coreTypeForThisCPU() -> String? {
        #if arch(x86_64)
        func cpuid(_ leaf: UInt32, _ sub: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
            var a: UInt32 = 0, b: UInt32 = 0, c: UInt32 = 0, d: UInt32 = 0
            _tensorcore_cpuid(leaf, sub, &a, &b, &c, &d)
            return (a, b, c, d)
        }
        let (maxLeaf, _, _, _) = cpuid(0, 0)
        guard maxLeaf >= 7 else { return nil }
        let (_, _, c1, _) = cpuid(1, 0)
        let osxsave = c1 & (1 << 27) != 0, avx = c1 & (1 << 28) != 0, fma = c1 & (1 << 12) != 0
        guard osxsave && avx else { return nil }
        let xcr0 = _tensorcore_xgetbv()
        guard xcr0 & 0x6 == 0x6 else { return nil }   // the OS saves SSE and AVX state
        let (_, b7, _, _) = cpuid(7, 0)
        let avx2 = b7 & (1 << 5) != 0
        let avx512 = [16, 17, 30, 31].allSatisfy { b7 & (1 << $0) != 0 }  // F, DQ, BW, VL
        if avx512 && xcr0 & 0xE0 == 0xE0 && !InstructionSet.avx512Disabled { return "SkylakeX" }
        if avx2 && fma { return "Haswell" }
        #endif
        return nil
    }

    static func load() -> Symbols {
        var chosen: String?
        if getenv("OPENBLAS_CORETYPE") == nil, let core = coreTypeForThisCPU() {
            setenv("OPENBLAS_CORETYPE", core, 0)
            chosen = core
        }
        setenv("OPENBLAS_NUM_THREADS", "1", 0)   // Note [One thread pool]
        var handle: UnsafeMutableRawPointer?
        for name in ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"] {
            handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL)
            if handle != nil { break }
        }
        guard let handle else {
            fatalError("TensorCore: cannot load OpenBLAS (libopenblas.so.0): install Debian's libopenblas-dev (scripts/setup.sh does)")
        }
        func symbol<T>(_ name: String, _: T.Type) -> T {
            guard let p = dlsym(handle, name) else { fatalError("TensorCore: OpenBLAS lacks \(name)") }
            return unsafeBitCast(p, to: T.self)
        }
        let symbols = Symbols(
            sgemm: symbol("cblas_sgemm", SGemm.self), dgemm: symbol("cblas_dgemm", DGemm.self),
            sgemv: symbol("cblas_sgemv", SGemv.self), dgemv: symbol("cblas_dgemv", DGemv.self),
            setThreads: symbol("openblas_set_num_threads", (@convention(c) (Int32) -> Void).self),
            coreName: symbol("openblas_get_corename", (@convention(c) () -> UnsafeMutablePointer<CChar>?).self),
            coreTypeChosen: chosen)
        symbols.setThreads(1)   // Note [One thread pool]
        return symbols
    }
}
