import XCTest
import _TestSupport
@testable import TensorCore

/// `DenseTensor.concatenated`: the row-by-row copy of contiguous parts (split across threads
/// and streamed for large outputs) against the same parts written one by one through views.
final class ConcatenationTests: XCTestCase {
    func testRowCopyEqualsWritingEachPartThroughItsSlice() {
        let (savedThreads, savedMinimum) = (Parallel.threads, Parallel.minimumElements)
        defer { Parallel.threads = savedThreads; Parallel.minimumElements = savedMinimum }
        Parallel.minimumElements = 1 << 10   // every case below splits
        var generator = RandomGenerator(seed: 3)
        for (shapes, dim) in [([[7, 3, 5], [7, 1, 5], [7, 4, 5]], 1), ([[300, 40], [300, 17]], 1), ([[2, 600], [3, 600]], 0),
                              ([[4, 3, 2], [4, 3, 0], [4, 3, 1]], 2)] {
            let parts = shapes.map { DenseTensor<Float>.randn($0, using: &generator) }
            var expectedShape = shapes[0]
            expectedShape[dim] = shapes.map { $0[dim] }.reduce(0, +)
            let expected = DenseTensor<Float>(shape: expectedShape, repeating: .nan)
            var start = 0
            for p in parts where p.shape[dim] > 0 {
                expected.narrowed(dim: dim, start: start, length: p.shape[dim]).assign(p)
                start += p.shape[dim]
            }
            for threads in [1, 2, 3] {
                Parallel.threads = threads
                let got = DenseTensor.concatenated(parts, dim: dim)
                XCTAssertEqual(got.shape, expectedShape)
                XCTAssertSameBits(got.scalars, expected.scalars, "\(shapes) along \(dim), \(threads) threads")
            }
        }
    }
}
