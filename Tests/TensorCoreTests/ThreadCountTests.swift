import XCTest
import _TestSupport
@testable import TensorCore

/// A result does not depend on the number of threads that computed it: elementwise kernels
/// (each element on its own), sums (Note [Sums in fixed blocks]) and products (Note [Exact
/// splits]) give the bits of one thread on two and three. Run on whichever paths this machine
/// and the environment pick: OpenBLAS's SkylakeX or Haswell kernels, the own sgemm kernel when it
/// is on (`TENSORCORE_SGEMM=own`, release builds), the AVX2 machine's paths with
/// `TENSORCORE_ISA=avx2` (scripts/test.sh runs all of them).
final class ThreadCountTests: XCTestCase {
    private var saved = (threads: 0, minimum: 0, blasThreads: 0, blasBelow: 0)

    override func setUp() {
        saved = (Parallel.threads, Parallel.minimumElements, BLASLibrary.maxThreads, BLASLibrary.singleThreadBelow)
        // Split from small sizes, so that every size below is split.
        Parallel.minimumElements = 64
    }

    override func tearDown() {
        Parallel.threads = saved.threads
        Parallel.minimumElements = saved.minimum
        BLASLibrary.maxThreads = saved.blasThreads
        BLASLibrary.singleThreadBelow = saved.blasBelow
    }

    /// `body`'s result on 1, 2 and 3 threads.
    private func onThreadCounts<R>(_ body: () -> R) -> [(threads: Int, result: R)] {
        [1, 2, 3].map { threads in
            Parallel.threads = threads
            BLASLibrary.maxThreads = threads
            return (threads, body())
        }
    }

    func testElementwiseKernels() {
        var generator = RandomGenerator(seed: 31)
        for n in [15, 16, 17, 4_095, 70_001, 300_007] {
            let a = DenseTensor<Float>.randn([n], using: &generator)
            let b = DenseTensor<Float>.randn([n], using: &generator)
            let ops: [(String, () -> DenseTensor<Float>)] = [
                ("a * b + a", { a.binary(.mul, b).binary(.add, a) }), ("a / b", { a.binary(.div, b) }),
                ("exp", { a.unary(.exp) }), ("tanh", { a.unary(.tanh) }), ("sigmoid", { a.unary(.sigmoid) }),
                ("log |a|", { a.unary(.abs).unary(.log) }), ("2 - a", { a.binary(scalar: 2, .sub) }),
            ]
            for (name, op) in ops {
                let results = onThreadCounts { op().scalars }
                for (threads, result) in results.dropFirst() {
                    XCTAssertSameBits(result, results[0].result, "\(name), \(n) elements, \(threads) threads")
                }
            }
        }
    }

    func testSumsAndMeans() {
        var generator = RandomGenerator(seed: 32)
        let block = DenseTensor<Float>.sumBlockElements
        for n in [1, 300, block - 1, block, block + 1, 5 * block + 17, 1_000_003] {
            let a = DenseTensor<Float>.randn([n], using: &generator)
            let d = DenseTensor<Double>.randn([n], using: &generator)
            let results = onThreadCounts { (a.sum().scalars, a.mean().scalars, d.sum().scalars) }
            for (threads, result) in results.dropFirst() {
                XCTAssertSameBits(result.0, results[0].result.0, "Float sum of \(n), \(threads) threads")
                XCTAssertSameBits(result.1, results[0].result.1, "Float mean of \(n), \(threads) threads")
                XCTAssertSameBits(result.2, results[0].result.2, "Double sum of \(n), \(threads) threads")
            }
        }
    }

    func testFloatProducts() { checkProducts(Float.self, seed: 33) }
    func testDoubleProducts() { checkProducts(Double.self, seed: 34) }

    /// Random shapes large enough to split (m·n·k ≥ 2²⁰), tall and wide, every transpose pair.
    private func checkProducts<S: TensorScalar>(_: S.Type, seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        let split = BLASLibrary.split(for: S.self)
        var checked = 0, splitOnTwo = 0
        while checked < 48 {
            let m = 1 + Int(generator.next() % 420), n = 1 + Int(generator.next() % 420), k = 1 + Int(generator.next() % 300)
            guard m * n * k >= BLASLibrary.singleThreadBelow, m * n * k <= 1 << 24 else { continue }
            let (transA, transB) = (checked % 2 == 1, checked % 4 >= 2)
            let a = DenseTensor<S>.randn(transA ? [k, m] : [m, k], using: &generator)
            let b = DenseTensor<S>.randn(transB ? [n, k] : [k, n], using: &generator)
            let results = onThreadCounts { a.matmul(b, transposeA: transA, transposeB: transB).scalars }
            let what = "\(S.self) \(m)×\(k)·\(k)×\(n), transA \(transA) transB \(transB)"
            for (threads, result) in results.dropFirst() {
                if split.isMeasured || SGemmKernel.takes(m: m, n: n, k: k) && S.self == Float.self {
                    XCTAssertSameBits(result, results[0].result, "\(what), \(threads) threads (OpenBLAS \(BLASLibrary.coreName))")
                } else {
                    // A family not in Note [Exact splits]'s table: no promise beyond the error bound.
                    XCTAssertAllClose(result, results[0].result, atol: Double(k) * 1e-5, rtol: Double(k) * 1e-5, what)
                }
            }
            if split.blocks(m: m, n: n, k: k, threads: 2).count > 1 { splitOnTwo += 1 }
            checked += 1
        }
        // The shapes must exercise splits, or the test proves nothing.
        XCTAssertGreaterThan(splitOnTwo, 24, "\(S.self): only \(splitOnTwo) of 48 products were split on two threads")
    }

    /// The block plans themselves: aligned, covering the output, each block big enough.
    func testBlocksFollowTheRule() {
        let haswellFloat = ExactSplit(rowAlignment: 12, columnAlignment: nil, minimumBlockWork: 0, isMeasured: true)
        let tall = haswellFloat.blocks(m: 256, n: 512, k: 784, threads: 2)
        XCTAssertEqual(tall.byRows, true, "no column splits where they are not exact")
        XCTAssertEqual([tall.step, tall.count], [132, 2])
        let skylake = ExactSplit(rowAlignment: 1, columnAlignment: 1, minimumBlockWork: 1_000_001, isMeasured: true)
        let wide = skylake.blocks(m: 256, n: 512, k: 784, threads: 2)
        XCTAssertEqual(wide.byRows, false)
        XCTAssertEqual([wide.step, wide.count], [256, 2])
        XCTAssertEqual(skylake.blocks(m: 256, n: 10, k: 512, threads: 2).count, 1,
                       "halves of 655,360 multiply-adds would run on the small-matrix kernels")
        XCTAssertEqual(skylake.blocks(m: 64, n: 64, k: 64, threads: 2).count, 1, "below singleThreadBelow")
        XCTAssertEqual(haswellFloat.blocks(m: 11, n: 4_000, k: 100, threads: 2).count, 1,
                       "11 rows can't be cut at a multiple of 12, and columns are not exact")
        for threads in 2...8 {
            let plan = haswellFloat.blocks(m: 1_000, n: 300, k: 100, threads: threads)
            XCTAssertEqual(plan.step % 12, 0)
            XCTAssertGreaterThanOrEqual(plan.step * plan.count, 1_000)
            XCTAssertLessThan(plan.step * (plan.count - 1), 1_000, "an empty block")
        }
    }
}
