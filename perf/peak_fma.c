// The machine's single-precision FMA ceiling: what no sgemm can beat on this CPU.
//
// One thread, then two at once, each runs chains of independent AVX-512 FMAs (24 accumulators,
// more than the 2 ports × 4 cycles of latency need) from registers only, so nothing but the FMA
// units is measured. A matrix product of n³ multiply-adds can at best take 2n³ / this rate.
//
//   clang -O2 -march=native -pthread perf/peak_fma.c -o /tmp/peak_fma && /tmp/peak_fma
//
// (x86-64 with AVX-512F only.) Prints five rounds; the host moves them, so read the best.
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

enum { ACCUMULATORS = 24 };
static const long ITERATIONS = 20000000;
static volatile float sink;   // keeps the chains from being optimized away

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *chains(void *unused) {
    (void)unused;
    __m512 acc[ACCUMULATORS];
    const __m512 b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < ACCUMULATORS; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < ITERATIONS; it++) {
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < ACCUMULATORS; i++) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
    }
    float s = 0;
    for (int i = 0; i < ACCUMULATORS; i++) s += _mm512_reduce_add_ps(acc[i]);
    sink = s;
    return NULL;
}

int main(void) {
    const double flops = (double)ITERATIONS * ACCUMULATORS * 16 * 2;   // 16 lanes, 2 flops an FMA
    for (int round = 0; round < 5; round++) {
        double start = now();
        chains(NULL);
        double one = now() - start;
        pthread_t threads[2];
        start = now();
        for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, chains, NULL);
        for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
        double two = now() - start;
        printf("FMA peak: 1 thread %.1f GFLOP/s, 2 threads %.1f GFLOP/s\n", flops / one / 1e9, 2 * flops / two / 1e9);
    }
    return 0;
}
