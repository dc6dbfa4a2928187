import CTensorCoreShims

/// Whether this CPU runs the library's AVX-512 kernels (the sgemm tile, Note [Own sgemm kernel],
/// and the Float transpose, Note [AVX-512 transpose]): x86-64 with AVX-512F and FMA.
@usableFromInline let avx512KernelsAvailable: Bool = _tensorcore_avx512_available()
