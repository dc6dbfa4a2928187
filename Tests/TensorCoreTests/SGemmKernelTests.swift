import XCTest
import _TestSupport
@testable import TensorCore

/// The AVX-512 single-precision GEMM (Note [Own sgemm kernel]) against a double-precision loop:
/// every edge of its 12×32 tile and 256-deep k blocks, both layouts of each operand, row strides
/// wider than the rows, alpha/beta, and the thread split. Turned on here also in a debug build
/// (where it is off by default); skipped on a CPU without AVX-512.
final class SGemmKernelTests: XCTestCase {
    private var wasEnabled = false

    override func setUpWithError() throws {
        try XCTSkipUnless(SGemmKernel.isAvailable, "the own AVX-512 kernel is off (no AVX-512F, or TENSORCORE_ISA=avx2); products go to OpenBLAS")
        wasEnabled = SGemmKernel.isEnabled
        SGemmKernel.isEnabled = true
    }

    override func tearDown() { SGemmKernel.isEnabled = wasEnabled }

    /// One product through the kernel with padded strides; returns C with its padding, which
    /// must come back untouched.
    private func product(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float,
        using generator: inout RandomGenerator
    ) -> (c: [Float], expected: [Double], bound: [Double], ldc: Int, initial: [Float]) {
        let (aRows, aCols) = transA ? (k, m) : (m, k)
        let (bRows, bCols) = transB ? (n, k) : (k, n)
        let lda = aCols + 3, ldb = bCols + 5, ldc = n + 2
        let a = DenseTensor<Float>.randn([aRows * lda], using: &generator).scalars
        let b = DenseTensor<Float>.randn([bRows * ldb], using: &generator).scalars
        var c = DenseTensor<Float>.randn([m * ldc], using: &generator).scalars
        // beta = 0 must not read C: a NaN there would otherwise come through.
        if beta == 0 { for i in 0..<m { c[i * ldc] = .nan } }
        let initial = c
        var expected = [Double](repeating: 0, count: m * ldc), bound = expected
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let x = Double(transA ? a[p * lda + i] : a[i * lda + p])
                    let y = Double(transB ? b[j * ldb + p] : b[p * ldb + j])
                    sum += x * y
                    magnitude += abs(x * y)
                }
                let old = beta == 0 ? 0 : Double(c[i * ldc + j])
                expected[i * ldc + j] = Double(alpha) * sum + Double(beta) * old
                bound[i * ldc + j] = Double(k + 2) * Double(Float.ulpOfOne) * (abs(Double(alpha)) * magnitude + abs(Double(beta) * old)) + 1e-30
            }
        }
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
            SGemmKernel.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                             a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, beta: beta, c: c.baseAddress!, ldc: ldc)
        } } }
        return (c, expected, bound, ldc, initial)
    }

    private func check(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0,
        using generator: inout RandomGenerator, file: StaticString = #filePath, line: UInt = #line
    ) {
        let r = product(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta, using: &generator)
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<r.ldc {
                let index = i * r.ldc + j
                if j >= n {
                    XCTAssertEqual(r.c[index].bitPattern, r.initial[index].bitPattern,
                                   "wrote past column \(n) in row \(i)", file: file, line: line)
                    continue
                }
                worst = max(worst, abs(Double(r.c[index]) - r.expected[index]) / r.bound[index])
            }
        }
        XCTAssertLessThanOrEqual(worst, 1, "transA \(transA) transB \(transB) \(m)×\(n)×\(k) alpha \(alpha) beta \(beta)",
                                 file: file, line: line)
    }

    func testEveryTileEdgeAndLayoutMatchesADoubleLoop() {
        var generator = RandomGenerator(seed: 21)
        let sizes = [1, 5, 11, 12, 13, 31, 32, 33, 47, 64, 200]
        for (index, m) in sizes.enumerated() {
            for n in [1, 16, 17, 32, 33, 70] {
                for k in [1, 7, 64] {
                    check(transA: index % 2 == 1, transB: (index / 2) % 2 == 1, m: m, n: n, k: k, using: &generator)
                }
            }
        }
        // k past one 256-deep block: the second block adds onto the first's result.
        for transA in [false, true] {
            for transB in [false, true] {
                check(transA: transA, transB: transB, m: 25, n: 40, k: 600, using: &generator)
            }
        }
    }

    func testAlphaAndBeta() {
        var generator = RandomGenerator(seed: 22)
        for (alpha, beta) in [(Float(1), Float(1)), (0.5, -2), (-1.5, 0), (2, 1)] {
            check(transA: false, transB: false, m: 30, n: 50, k: 300, alpha: alpha, beta: beta, using: &generator)
            check(transA: true, transB: true, m: 13, n: 35, k: 20, alpha: alpha, beta: beta, using: &generator)
        }
    }

    /// Split across threads (by rows, or by 32-column blocks when C is wide), each element is the
    /// same chain of FMAs: the result must be bit-identical to the one-thread result.
    func testThreadSplitGivesTheSameBits() {
        let (savedThreads, savedBelow) = (BLASLibrary.maxThreads, BLASLibrary.singleThreadBelow)
        defer { BLASLibrary.maxThreads = savedThreads; BLASLibrary.singleThreadBelow = savedBelow }
        BLASLibrary.singleThreadBelow = 1
        for (m, n, transB) in [(97, 40, false), (20, 150, false), (20, 150, true), (64, 64, true)] {
            var results: [[Float]] = []
            for threads in [1, 2, 3] {
                BLASLibrary.maxThreads = threads
                var generator = RandomGenerator(seed: 23)
                results.append(product(transA: false, transB: transB, m: m, n: n, k: 77, alpha: 1, beta: 0,
                                       using: &generator).c)
            }
            XCTAssertSameBits(results[1], results[0], "\(m)×\(n) transB \(transB), 2 threads")
            XCTAssertSameBits(results[2], results[0], "\(m)×\(n) transB \(transB), 3 threads")
        }
    }

    /// Which products `Float.gemm` sends to the kernel, and that it and OpenBLAS agree on one.
    func testRoutingAndAgreementWithOpenBLAS() {
        XCTAssertTrue(SGemmKernel.takes(m: 128, n: 128, k: 128))
        XCTAssertTrue(SGemmKernel.takes(m: 10, n: 512, k: 256))
        XCTAssertFalse(SGemmKernel.takes(m: 64, n: 10, k: 128), "narrow: OpenBLAS")
        XCTAssertFalse(SGemmKernel.takes(m: 32, n: 32, k: 32), "small: OpenBLAS")
        XCTAssertFalse(SGemmKernel.takes(m: 512, n: 512, k: 512), "large: OpenBLAS")
        XCTAssertFalse(SGemmKernel.takes(m: 128, n: 128, k: 0))
        var generator = RandomGenerator(seed: 24)
        let a = DenseTensor<Float>.randn([128, 96], using: &generator)
        let b = DenseTensor<Float>.randn([80, 96], using: &generator)
        SGemmKernel.isEnabled = true
        let ours = a.matmul(b, transposeB: true).scalars
        SGemmKernel.isEnabled = false
        let theirs = a.matmul(b, transposeB: true).scalars
        XCTAssertEqual(ours.count, 128 * 80)
        XCTAssertAllClose(ours, theirs, atol: 1e-4, rtol: 1e-4, "own kernel vs OpenBLAS")
    }
}
