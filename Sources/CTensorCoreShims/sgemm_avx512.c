#include "CTensorCoreShims.h"
#include "avx512.h"

// Note [Own sgemm kernel]: single-precision products up to a few hundred rows, where OpenBLAS
// spends much of its time packing operands and setting up (n=128: 32 µs for its call, 26 µs
// for this kernel, measured side by side), run here instead.
// The register tile is 12 rows × 32 columns for AVX-512: 24 accumulators, two vectors of a row of
// op(B), one broadcast of op(A); per step of k it loads 2 vectors and 12 scalars for 24 FMAs, so
// both FMA ports stay busy. op(A) is read where it lies (rows or, for Aᵀ, columns: one
// specialization each), and so is op(B) = B; a 32-column micro-panel of B (kc × 128 B, KC bounding
// it at 32 KB) stays in L1 while the tile walks down MC rows of A. op(B) = Bᵀ is first packed into
// contiguous 32-column panels (one transposing pass), which callers can share across threads.
// (Packing B itself too, and copying or packing A, measured no faster at these sizes.) Edges
// use masked loads and stores, so nothing past an operand is read or written. Every output element
// is one FMA chain over k in order, whatever the thread split: results do not depend on it.

#if defined(__x86_64__)

#define TC_MR 12
#define TC_NR 32
#define TC_KC 256
#define TC_MC 192
// The tile's loops over its rows are unrolled explicitly: at SwiftPM's -O2 they otherwise stay
// loops, the accumulators go to memory, and the kernel runs at 40 % of its speed (measured).

// Accumulates rows [0, mr) of the tile over kc steps of k. op(A)[r, p] = a[r * ars + p * aks].
TC_TARGET __attribute__((always_inline)) static inline void
tc_accumulate(const int mr, long kc, const float *a, long ars, long aks, const float *b, long ldb,
              __mmask16 m0, __mmask16 m1, __m512 *acc0, __m512 *acc1) {
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < mr; r++) { acc0[r] = _mm512_setzero_ps(); acc1[r] = _mm512_setzero_ps(); }
    // Aᵀ's 12 broadcasts per k are contiguous, so unrolled by 4 they share addresses; A's are 12 rows
    // apart, and unrolling that loop made the compiler spill an accumulator (measured slower). Its
    // unrolling is forbidden, not left to the cost model: `-march=znver4`/`znver5` (what
    // `-Xcc -march=native` means on AMD) unrolled it by 2, spilled accumulators (89 zmm loads and
    // stores against the stack in the 12-row tile) and ran the kernel at 0.32–0.59× OpenBLAS's
    // speed (scripts/check-vectorized.sh checks each tuning).
    if (aks == 1) {
#pragma clang loop unroll(disable)
        for (long k = 0; k < kc; k++) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, b + k * ldb);
            __m512 b1 = _mm512_maskz_loadu_ps(m1, b + k * ldb + 16);
            _Pragma("clang loop unroll(full)")
            for (int r = 0; r < mr; r++) {
                __m512 ar = _mm512_set1_ps(a[r * ars + k]);
                acc0[r] = _mm512_fmadd_ps(ar, b0, acc0[r]);
                acc1[r] = _mm512_fmadd_ps(ar, b1, acc1[r]);
            }
        }
    } else {
#pragma clang loop unroll_count(4)
        for (long k = 0; k < kc; k++) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, b + k * ldb);
            __m512 b1 = _mm512_maskz_loadu_ps(m1, b + k * ldb + 16);
            _Pragma("clang loop unroll(full)")
            for (int r = 0; r < mr; r++) {
                __m512 ar = _mm512_set1_ps(a[r * ars + k * aks]);
                acc0[r] = _mm512_fmadd_ps(ar, b0, acc0[r]);
                acc1[r] = _mm512_fmadd_ps(ar, b1, acc1[r]);
            }
        }
    }
}

TC_TARGET __attribute__((always_inline)) static inline void
tc_tile(const int mr, long kc, const float *a, long ars, long aks, const float *b, long ldb,
        float *c, long ldc, float alpha, float beta, __mmask16 m0, __mmask16 m1) {
    __m512 acc0[TC_MR], acc1[TC_MR];
    tc_accumulate(mr, kc, a, ars, aks, b, ldb, m0, m1, acc0, acc1);
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < mr; r++) {
        float *cr = c + r * ldc;
        __m512 o0 = _mm512_mul_ps(acc0[r], va), o1 = _mm512_mul_ps(acc1[r], va);
        if (beta != 0) {   // BLAS semantics: beta = 0 never reads C (it may hold NaN)
            o0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), o0);
            o1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), o1);
        }
        _mm512_mask_storeu_ps(cr, m0, o0);
        _mm512_mask_storeu_ps(cr + 16, m1, o1);
    }
}

typedef void (*tc_tile_fn)(long, const float *, long, const float *, long, float *, long, float, float,
                           __mmask16, __mmask16);

// One function per row count and A layout, so each has its own fully unrolled register tile.
#define TC_TILES(MR)                                                                              \
    TC_TARGET static void tc_tile_rows_##MR(long kc, const float *a, long lda, const float *b,      \
        long ldb, float *c, long ldc, float alpha, float beta, __mmask16 m0, __mmask16 m1) {       \
        tc_tile(MR, kc, a, lda, 1, b, ldb, c, ldc, alpha, beta, m0, m1);                          \
    }                                                                                             \
    TC_TARGET static void tc_tile_cols_##MR(long kc, const float *a, long lda, const float *b,      \
        long ldb, float *c, long ldc, float alpha, float beta, __mmask16 m0, __mmask16 m1) {       \
        tc_tile(MR, kc, a, 1, lda, b, ldb, c, ldc, alpha, beta, m0, m1);                          \
    }
TC_TILES(1) TC_TILES(2) TC_TILES(3) TC_TILES(4) TC_TILES(5) TC_TILES(6)
TC_TILES(7) TC_TILES(8) TC_TILES(9) TC_TILES(10) TC_TILES(11) TC_TILES(12)

static const tc_tile_fn tc_tiles_rows[TC_MR + 1] = {0,
    tc_tile_rows_1, tc_tile_rows_2, tc_tile_rows_3, tc_tile_rows_4, tc_tile_rows_5, tc_tile_rows_6,
    tc_tile_rows_7, tc_tile_rows_8, tc_tile_rows_9, tc_tile_rows_10, tc_tile_rows_11, tc_tile_rows_12};
static const tc_tile_fn tc_tiles_cols[TC_MR + 1] = {0,
    tc_tile_cols_1, tc_tile_cols_2, tc_tile_cols_3, tc_tile_cols_4, tc_tile_cols_5, tc_tile_cols_6,
    tc_tile_cols_7, tc_tile_cols_8, tc_tile_cols_9, tc_tile_cols_10, tc_tile_cols_11, tc_tile_cols_12};

/// n rounded up to whole 32-column panels: the packed Bᵀ's row length.
static inline long tc_padded(long n) { return (n + TC_NR - 1) / TC_NR * TC_NR; }

bool _tensorcore_avx512_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
}

bool _tensorcore_sgemm_optimized(void) {
#if defined(__OPTIMIZE__)
    return true;
#else
    return false;
#endif
}

long _tensorcore_sgemm_packed_count(long k, long n) { return k * tc_padded(n); }

// Packed Bᵀ: for each block of TC_KC rows of k, for each panel of 32 columns, kc rows of 32
// floats (zero past column n), transposed from B's rows 16×16 at a time (tc_transpose16): the
// tile then reads it like a B in place. Gathering each row of 16 from 16 rows of B instead
// (vgatherdps) took 6.7 % of the mlp-small step on Zen 4, whose gathers are slow.
TC_TARGET void _tensorcore_sgemm_pack_bt(long k, long n, const float *b, long ldb, float *dst) {
    const long npad = tc_padded(n);
    for (long pc = 0; pc < k; pc += TC_KC) {
        const long kc = k - pc < TC_KC ? k - pc : TC_KC;
        for (long j = 0; j < n; j += TC_NR) {
            float *panel = dst + pc * npad + j * kc;
            for (long half = 0; half < TC_NR; half += 16) {
                // Bᵀ[p, j + half + q] = b[(j + half + q) * ldb + p], q < 16: columns of 16 rows of B.
                const long nr = n - j - half;
                for (long p = 0; p < kc; p += 16) {
                    const long nc = kc - p < 16 ? kc - p : 16;
                    if (nr <= 0) {
                        for (long q = 0; q < nc; q++) _mm512_storeu_ps(panel + (p + q) * TC_NR + half, _mm512_setzero_ps());
                    } else {
                        tc_transpose16(b + (j + half) * ldb + pc + p, ldb, panel + p * TC_NR + half, TC_NR,
                                       nr < 16 ? nr : 16, nc, true);
                    }
                }
            }
        }
    }
}

void _tensorcore_sgemm(bool transA, long m, long n, long k, float alpha, const float *a, long lda,
                       const float *b, long ldb, bool bPacked, float beta, float *c, long ldc) {
    const tc_tile_fn *tiles = transA ? tc_tiles_cols : tc_tiles_rows;
    // op(A)[i, p] is a[i * ars + p * aks]
    const long ars = transA ? 1 : lda, aks = transA ? lda : 1;
    const long npad = tc_padded(n);
    for (long pc = 0; pc < k; pc += TC_KC) {
        const long kc = k - pc < TC_KC ? k - pc : TC_KC;
        const float blockBeta = pc == 0 ? beta : 1;   // later k-blocks add onto the first's result
        for (long ic = 0; ic < m; ic += TC_MC) {
            const long mc = m - ic < TC_MC ? m - ic : TC_MC;
            for (long j = 0; j < n; j += TC_NR) {
                const __mmask16 m0 = tc_mask(n - j), m1 = tc_mask(n - j - 16);
                const float *panel = bPacked ? b + pc * npad + j * kc : b + pc * ldb + j;
                const long panelStride = bPacked ? TC_NR : ldb;
                for (long i = ic; i < ic + mc; i += TC_MR) {
                    const long mr = ic + mc - i < TC_MR ? ic + mc - i : TC_MR;
                    tiles[mr](kc, a + i * ars + pc * aks, lda, panel, panelStride,
                              c + i * ldc + j, ldc, alpha, blockBeta, m0, m1);
                }
            }
        }
    }
}

#else

bool _tensorcore_avx512_available(void) { return false; }
bool _tensorcore_sgemm_optimized(void) { return false; }
long _tensorcore_sgemm_packed_count(long k, long n) { return 0; }
void _tensorcore_sgemm_pack_bt(long k, long n, const float *b, long ldb, float *dst) {
    __builtin_trap();
}
void _tensorcore_sgemm(bool transA, long m, long n, long k, float alpha, const float *a, long lda,
                       const float *b, long ldb, bool bPacked, float beta, float *c, long ldc) {
    __builtin_trap();
}

#endif
