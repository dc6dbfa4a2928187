// CPU feature queries Swift has no intrinsic for; used to pick OpenBLAS's kernel set.
#ifndef CTENSORCORESHIMS_H
#define CTENSORCORESHIMS_H
#include <stdint.h>

#if defined(__x86_64__)
#include <cpuid.h>
static inline void _tensorcore_cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d) {
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
