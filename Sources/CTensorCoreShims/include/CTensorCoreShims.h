// What Swift has no intrinsic for: CPU feature queries (to pick OpenBLAS's kernel set) and
// streaming (non-temporal) stores.
#ifndef CTENSORCORESHIMS_H
#define CTENSORCORESHIMS_H
#include <stddef.h>
#include <stdint.h>

/// `p[0..<n] = v` with non-temporal stores: the lines are written without being read first
/// (no read-for-ownership) and bypass the caches. For fills much larger than the cache.
void _tensorcore_fill_streaming_f32(float *_Nonnull p, float v, size_t n);
void _tensorcore_fill_streaming_f64(double *_Nonnull p, double v, size_t n);
/// `dst[0..<n] = src[0..<n]` with non-temporal stores (the buffers must not overlap).
void _tensorcore_copy_streaming_f32(float *_Nonnull dst, const float *_Nonnull src, size_t n);
void _tensorcore_copy_streaming_f64(double *_Nonnull dst, const double *_Nonnull src, size_t n);
/// The same copies without the closing fence, for a kernel that streams its output in many
/// small pieces and fences once with `_tensorcore_store_fence` when it is done.
void _tensorcore_copy_streaming_unfenced_f32(float *_Nonnull dst, const float *_Nonnull src, size_t n);
void _tensorcore_copy_streaming_unfenced_f64(double *_Nonnull dst, const double *_Nonnull src, size_t n);
/// Orders the streaming stores before it with every later store (they are weakly ordered).
void _tensorcore_store_fence(void);

#if defined(__x86_64__)
#include <cpuid.h>
static inline void _tensorcore_cpuid(uint32_t leaf, uint32_t sub, uint32_t *_Nonnull a, uint32_t *_Nonnull b, uint32_t *_Nonnull c, uint32_t *_Nonnull d) {
    __cpuid_count(leaf, sub, *a, *b, *c, *d);
}
/// XCR0: which register states the OS saves (bits 1-2 SSE/AVX, 5-7 AVX-512). Call only when
/// CPUID.1:ECX.OSXSAVE is set.
static inline uint64_t _tensorcore_xgetbv(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#endif
#endif
