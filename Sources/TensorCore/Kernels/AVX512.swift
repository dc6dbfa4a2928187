import CTensorCoreShims
#if canImport(Glibc)
import Glibc
#endif

/// Whether this CPU runs the library's AVX-512 kernels (the sgemm tile, Note [Own sgemm kernel],
/// and the Float transpose, Note [AVX-512 transpose]): x86-64 with AVX-512F and FMA, unless
/// `TENSORCORE_ISA=avx2` (``InstructionSet``).
@usableFromInline let avx512KernelsAvailable: Bool = _tensorcore_avx512_available() && !InstructionSet.avx512Disabled

/// Note [Every CPU's paths]: the machines this library runs on differ in what they can run
/// (an Intel Xeon and an AMD Zen 4 with AVX-512, an AMD Zen 3 with AVX2 only), and a green test
/// run on one must mean green on the others. With `TENSORCORE_ISA=avx2` in the environment an
/// AVX-512 machine runs what an AVX2-only one runs: no AVX-512 kernel of ours, and OpenBLAS's
/// Haswell kernels (unless `OPENBLAS_CORETYPE` is set, which always wins). The test script runs
/// the suite once so. The Swift kernels are compiled for baseline x86-64 and are the same
/// everywhere.
enum InstructionSet {
    /// Whether `TENSORCORE_ISA=avx2` asks for the AVX2 machine's paths.
    static let avx512Disabled: Bool = getenv("TENSORCORE_ISA").map { String(cString: $0) } == "avx2"
}
