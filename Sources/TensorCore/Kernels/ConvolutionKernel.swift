import CTensorCoreShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Which build of the implicit-GEMM convolution (Note [Implicit convolution]) single-precision
/// convolutions run, if any: the AVX-512 one wherever the own sgemm kernel runs
/// (``SGemmKernel/isEnabled``), else, on a CPU with AVX2 and FMA (an AMD Zen 3, or an AVX-512
/// machine under `TENSORCORE_ISA=avx2`), the AVX2 one, which gives the same bits (Note [AVX2
/// implicit convolution] in conv_avx2.c); else im2col and GEMM.
enum ConvolutionKernel {
    enum Variant: Sendable { case avx2, avx512 }

    /// The build convolutions run now, or `nil` for im2col (also under `TENSORCORE_CONV=im2col`).
    static var variant: Variant? {
        guard implicitConvolutionEnabled else { return nil }
        return SGemmKernel.isEnabled ? .avx512 : avx2IsEnabled ? .avx2 : nil
    }

    /// Whether the AVX2 build runs where the AVX-512 one does not. Default: on a CPU with AVX2
    /// and FMA whose AVX-512 kernels are unavailable (or turned off by `TENSORCORE_ISA=avx2`), in
    /// an optimized build, as ``SGemmKernel/isEnabled``'s default and environment switches have
    /// it (`TENSORCORE_SGEMM=openblas` off, `own` on in a debug build too). Tests set it to run
    /// this build on an AVX-512 machine; `true` has no effect on a CPU without AVX2 and FMA.
    static var avx2IsEnabled: Bool {
        get { avx2Setting.load(ordering: .relaxed) }
        set { avx2Setting.store(newValue && _tensorcore_avx2_available(), ordering: .relaxed) }
    }

    private static let avx2Setting: Atomic<Bool> = {
        let available = _tensorcore_avx2_available() && !SGemmKernel.isAvailable
        switch getenv("TENSORCORE_SGEMM").map({ String(cString: $0) }) {
        case "openblas": return Atomic(false)
        case "own": return Atomic(available)
        default: return Atomic(available && _tensorcore_sgemm_optimized())
        }
    }()
}
