#include "CTensorCoreShims.h"

// Clang's vector types and __builtin_nontemporal_store give the streaming store of whatever
// the target has (movntps on x86-64, stnp on AArch64), without per-ISA intrinsics.
typedef float tensorcore_f32x8 __attribute__((ext_vector_type(8), aligned(32)));
typedef double tensorcore_f64x4 __attribute__((ext_vector_type(4), aligned(32)));

void _tensorcore_store_fence(void) {
#if defined(__x86_64__)
    __asm__ volatile("sfence" ::: "memory");   // streaming stores are weakly ordered
#else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

void _tensorcore_fill_streaming_f32(float *p, float v, size_t n) {
    size_t i = 0;
    while (i < n && ((uintptr_t)(p + i) & 31)) p[i++] = v;
    tensorcore_f32x8 block = v;
    for (; i + 8 <= n; i += 8) __builtin_nontemporal_store(block, (tensorcore_f32x8 *)(p + i));
    for (; i < n; i++) p[i] = v;
    _tensorcore_store_fence();
}

void _tensorcore_fill_streaming_f64(double *p, double v, size_t n) {
    size_t i = 0;
    while (i < n && ((uintptr_t)(p + i) & 31)) p[i++] = v;
    tensorcore_f64x4 block = v;
    for (; i + 4 <= n; i += 4) __builtin_nontemporal_store(block, (tensorcore_f64x4 *)(p + i));
    for (; i < n; i++) p[i] = v;
    _tensorcore_store_fence();
}

void _tensorcore_copy_streaming_unfenced_f32(float *dst, const float *src, size_t n) {
    size_t i = 0;
    while (i < n && ((uintptr_t)(dst + i) & 31)) { dst[i] = src[i]; i++; }
    for (; i + 8 <= n; i += 8) {
        tensorcore_f32x8 block;
        __builtin_memcpy(&block, src + i, sizeof block);
        __builtin_nontemporal_store(block, (tensorcore_f32x8 *)(dst + i));
    }
    for (; i < n; i++) dst[i] = src[i];
}

void _tensorcore_copy_streaming_unfenced_f64(double *dst, const double *src, size_t n) {
    size_t i = 0;
    while (i < n && ((uintptr_t)(dst + i) & 31)) { dst[i] = src[i]; i++; }
    for (; i + 4 <= n; i += 4) {
        tensorcore_f64x4 block;
        __builtin_memcpy(&block, src + i, sizeof block);
        __builtin_nontemporal_store(block, (tensorcore_f64x4 *)(dst + i));
    }
    for (; i < n; i++) dst[i] = src[i];
}

void _tensorcore_copy_streaming_f32(float *dst, const float *src, size_t n) {
    _tensorcore_copy_streaming_unfenced_f32(dst, src, n);
    _tensorcore_store_fence();
}

void _tensorcore_copy_streaming_f64(double *dst, const double *src, size_t n) {
    _tensorcore_copy_streaming_unfenced_f64(dst, src, n);
    _tensorcore_store_fence();
}
