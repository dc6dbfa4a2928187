// Side by side in one process: PyTorch's sgemm (Intel oneMKL, exported by the pip wheel's
// libtorch_cpu.so), Debian's OpenBLAS 0.3.21 and the library's own AVX-512 kernel, on the same
// buffers, in alternating blocks of ~50 ms. Runs minutes apart on this shared host move a row by
// up to 2× (perf/RESULTS.md, "Method and noise"); blocks a few milliseconds apart don't, so this
// is what tells the BLAS kernels themselves apart.
//
// At 2 threads, "OpenBLAS" and "own" are what `Float.gemm` does (Note [Splitting products]): the
// output cut into two halves of rows, one single-threaded call per half, the second on a worker
// thread that spins between calls (and naps while MKL's block runs); MKL runs its own 2 threads.
//
//   TORCH_LIB=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')/lib
//   clang -O2 -march=native -pthread -ISources/CTensorCoreShims/include perf/ab_sgemm.c \
//       Sources/CTensorCoreShims/sgemm_avx512.c -ldl -o /tmp/ab_sgemm
//   LD_LIBRARY_PATH=$TORCH_LIB MKL_NUM_THREADS=1 OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 \
//       /tmp/ab_sgemm 512 1 11          # n, threads (1 or 2; set MKL_NUM_THREADS to match), rounds
//
// Prints each kernel's median and best time per product over the rounds, and the median of the
// per-round ratios MKL time / OpenBLAS time and MKL time / own time (below 1: MKL is faster).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// Fortran BLAS (column-major): both libraries export it under these names.
typedef void (*fortran_sgemm)(const char *, const char *, const int *, const int *, const int *,
                              const float *, const float *, const int *, const float *, const int *,
                              const float *, float *, const int *);
void _tensorcore_sgemm(bool transA, long m, long n, long k, float alpha, const float *a, long lda,
                       const float *b, long ldb, bool bPacked, float beta, float *c, long ldc);

enum { MKL, OPENBLAS, OWN, KERNELS, MAX_ROUNDS = 64 };
static const char *NAMES[KERNELS] = {"MKL", "OpenBLAS", "own"};
static fortran_sgemm mkl, openblas;
static int n;
static float *a, *b, *c;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// Rows [first, first + rows) of the row-major C = A · B (n×n), by `kernel` on this thread:
// row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ.
static void product(int kernel, int first, int rows) {
    const float one = 1, zero = 0;
    const float *ra = a + (long)first * n;
    float *rc = c + (long)first * n;
    if (kernel == OWN) {
        _tensorcore_sgemm(false, rows, n, n, 1, ra, n, b, n, false, 0, rc, n);
    } else {
        (kernel == MKL ? mkl : openblas)("N", "N", &n, &rows, &n, &one, b, &n, ra, &n, &zero, rc, &n);
    }
}

static atomic_int posted, finished;
static int workerKernel;

static void *worker(void *unused) {
    (void)unused;
    for (int seen = 0;;) {
        long spins = 0;
        while (atomic_load(&posted) == seen) {
            if (++spins > 200000) nanosleep(&(struct timespec){0, 50000}, NULL);
        }
        seen = atomic_load(&posted);
        product(workerKernel, n / 2, n - n / 2);
        atomic_fetch_add(&finished, 1);
    }
    return NULL;
}

static void run(int kernel, int threads) {
    if (threads == 1 || kernel == MKL) return product(kernel, 0, n);
    workerKernel = kernel;
    int done = atomic_load(&finished);
    atomic_fetch_add(&posted, 1);
    product(kernel, 0, n / 2);
    while (atomic_load(&finished) == done) {}
}

static int ascending(const void *x, const void *y) {
    double d = *(const double *)x - *(const double *)y;
    return (d > 0) - (d < 0);
}

static double median(const double *values, int count) {
    double sorted[MAX_ROUNDS];
    memcpy(sorted, values, count * sizeof(double));
    qsort(sorted, count, sizeof(double), ascending);
    return count % 2 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s N THREADS [ROUNDS]\n", argv[0]);
        return 2;
    }
    n = atoi(argv[1]);
    const int threads = atoi(argv[2]), rounds = argc > 3 ? atoi(argv[3]) : 11;
    if (n < 2 || threads < 1 || threads > 2 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "N >= 2, THREADS 1 or 2, ROUNDS 1...%d\n", MAX_ROUNDS);
        return 2;
    }
    void *torch = dlopen("libtorch_cpu.so", RTLD_NOW | RTLD_LOCAL);
    void *openblasLibrary = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!torch || !openblasLibrary) {
        fprintf(stderr, "%s (LD_LIBRARY_PATH must hold torch/lib; apt-get install libopenblas0)\n", dlerror());
        return 1;
    }
    mkl = (fortran_sgemm)dlsym(torch, "SGEMM");
    openblas = (fortran_sgemm)dlsym(openblasLibrary, "sgemm_");
    if (!mkl || !openblas) {
        fprintf(stderr, "no SGEMM in libtorch_cpu.so or no sgemm_ in libopenblas.so.0\n");
        return 1;
    }
    const long count = (long)n * n;
    a = aligned_alloc(64, count * 4);
    b = aligned_alloc(64, count * 4);
    c = aligned_alloc(64, count * 4);
    for (long i = 0; i < count; i++) {
        a[i] = (i % 17) / 17.0f - 0.5f;
        b[i] = (i % 13) / 13.0f - 0.5f;
    }
    pthread_t thread;
    if (threads == 2) pthread_create(&thread, NULL, worker, NULL);

    const double flops = 2.0 * n * n * n;
    const int calls = (int)(0.05 / (flops / 150e9)) + 1;   // ~50 ms a block at 150 GFLOP/s
    for (int kernel = 0; kernel < KERNELS; kernel++) run(kernel, threads);   // warm-up
    double times[KERNELS][MAX_ROUNDS];
    for (int round = 0; round < rounds; round++) {
        for (int step = 0; step < KERNELS; step++) {
            const int kernel = (step + round) % KERNELS;   // every kernel in every position
            const double start = now();
            for (int i = 0; i < calls; i++) run(kernel, threads);
            times[kernel][round] = (now() - start) / calls;
        }
    }
    for (int kernel = 0; kernel < KERNELS; kernel++) {
        double best = times[kernel][0];
        for (int r = 1; r < rounds; r++) best = times[kernel][r] < best ? times[kernel][r] : best;
        const double mid = median(times[kernel], rounds);
        printf("n=%d threads=%d %-8s median %8.3f ms (%5.1f GFLOP/s), best %8.3f ms\n", n, threads,
               NAMES[kernel], mid * 1e3, flops / mid / 1e9, best * 1e3);
    }
    for (int other = OPENBLAS; other <= OWN; other++) {
        double ratios[MAX_ROUNDS];
        for (int r = 0; r < rounds; r++) ratios[r] = times[MKL][r] / times[other][r];
        printf("n=%d threads=%d MKL / %-8s per round: median %.3f\n", n, threads, NAMES[other], median(ratios, rounds));
    }
    return 0;
}
