import XCTest
import _TestSupport
@testable import TensorCore

/// The tiled matrix transpose (64×64 tiles of 4×4 blocks, scalar edges), which makes a transposed
/// view contiguous, against the general strided gather, on shapes that exercise every edge case of the tiling.
final class TransposeTests: XCTestCase {
    func testTiledTransposeEqualsTheGather() {
        var generator = RandomGenerator(seed: 11)
        for shape in [[1, 1], [1, 7], [7, 1], [3, 5], [4, 4], [8, 12], [65, 130], [130, 67], [784, 512]] {
            let a = DenseTensor<Float>.randn(shape, using: &generator)
            let expected = DenseTensor.gather([shape[1], shape[0]], [1, shape[1]], offset: 0, from: a.storage)
            XCTAssertEqual(a.transposed(0, 1).shape, [shape[1], shape[0]])
            XCTAssertSameBits(a.transposed(0, 1).scalars, expected.scalars, "\(shape)")
            XCTAssertSameBits(a.transposed(-1, -2).scalars, expected.scalars, "\(shape), negative dims")
        }
        let d = DenseTensor<Double>.randn([67, 9], using: &generator)
        XCTAssertSameBits(d.transposed(1, 0).scalars, DenseTensor.gather([9, 67], [1, 9], offset: 0, from: d.storage).scalars)
        XCTAssertEqual(DenseTensor<Float>(uninitializedShape: [0, 5]).transposed(0, 1).shape, [5, 0])
    }

    /// From `Parallel.minimumStreamElements` the tiles are split into bands of rows, one per thread;
    /// uneven bands (11 row tiles over 3 threads) and more threads than tiles must cover every row once.
    func testSplitTransposeEqualsTheGather() {
        let (savedThreads, savedMinimum) = (Parallel.threads, Parallel.minimumElements)
        defer { Parallel.threads = savedThreads; Parallel.minimumElements = savedMinimum }
        var generator = RandomGenerator(seed: 12)
        // Thresholds low enough that every shape splits: 650×401 (260,650 elements) was once run with
        // a threshold above its size, so its uneven bands were never tested.
        for (shape, minimum) in [([650, 401], 1 << 14), ([70, 3], 16), ([5, 300], 16)] {
            let a = DenseTensor<Float>.randn(shape, using: &generator)
            let expected = DenseTensor.gather([shape[1], shape[0]], [1, shape[1]], offset: 0, from: a.storage).scalars
            Parallel.minimumElements = minimum
            XCTAssertGreaterThanOrEqual(shape[0] * shape[1], Parallel.minimumStreamElements, "\(shape) splits")
            for threads in [1, 2, 3] {
                Parallel.threads = threads
                XCTAssertSameBits(a.transposed(0, 1).scalars, expected, "\(shape), \(threads) threads")
            }
        }
    }
}
