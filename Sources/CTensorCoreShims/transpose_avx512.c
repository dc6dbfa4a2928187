#include "CTensorCoreShims.h"
#include "avx512.h"

// Note [AVX-512 transpose]: a 16×16 block moves as 16 row loads, 64 in-register shuffles and 16
// row stores, every cache line read and written whole. For Float it replaces the 4×4-block Swift
// loop, whose element-wise lane moves made the transposes of the plain MLP's step (`w.t()` and its
// derivative) 14 % of it (perf record); now 9 %, what reading and writing the 1–1.6 MB weights
// through the L3 costs. Partial blocks at the edges use masked loads and stores.

#if defined(__x86_64__)
TC_TARGET void _tensorcore_transpose_f32(const float *s, float *o, long rows, long cols, long rowLo, long rowHi) {
    for (long i = rowLo; i < rowHi; i += 16) {
        const long nr = rowHi - i < 16 ? rowHi - i : 16;
        for (long j = 0; j < cols; j += 16) {
            const long nc = cols - j < 16 ? cols - j : 16;
            tc_transpose16(s + i * cols + j, cols, o + j * rows + i, rows, nr, nc, false);
        }
    }
}

#else

void _tensorcore_transpose_f32(const float *s, float *o, long rows, long cols, long rowLo, long rowHi) {
    __builtin_trap();
}

#endif
