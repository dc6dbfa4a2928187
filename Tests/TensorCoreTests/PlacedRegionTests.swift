import XCTest
@testable import TensorCore

/// `DenseTensor.zeros(_:placing:at:)`, a view's derivative: zeros with the values in the region.
/// Where the region's rows ascend through the storage it zeroes and writes in one pass
/// (`assign(_:zeroingBefore:)`); here every kind of region against the two-pass reference
/// (a fill of zeros, then `assign`), including one that doesn't ascend (a transposed region).
final class PlacedRegionTests: XCTestCase {
    private func check(_ shape: [Int], _ what: String, _ region: @escaping (DenseTensor<Double>) -> DenseTensor<Double>) throws {
        let probe = region(DenseTensor<Double>(uninitializedShape: shape))
        let values = try DenseTensor<Double>(scalars: (0..<probe.count).map { Double($0) + 1 }, shape: probe.shape)
        let reference = DenseTensor<Double>(shape: shape, repeating: 0)
        region(reference).assign(values)
        // Stale values where the result's buffer comes from: every position must be written.
        for _ in 0..<2 { _ = DenseTensor<Double>(shape: shape, repeating: .nan) }
        let placed = DenseTensor.zeros(shape, placing: values, at: region)
        XCTAssertEqual(placed.scalars, reference.scalars, what)
        XCTAssertEqual(placed.shape, shape, what)
    }

    func testEveryKindOfRegion() throws {
        try check([6, 10], "narrow dim 1") { $0.narrowed(dim: 1, start: 3, length: 4) }
        try check([6, 10], "narrow dim 0") { $0.narrowed(dim: 0, start: 2, length: 3) }
        try check([6, 10], "every 2nd column") { $0.narrowed(dim: 1, start: 0, length: 10, step: 2) }
        try check([6, 10], "every 3rd column from 1") { $0.narrowed(dim: 1, start: 1, length: 8, step: 3) }
        try check([6, 10], "every 2nd row") { $0.narrowed(dim: 0, start: 1, length: 5, step: 2) }
        try check([6, 10], "a column") { $0.selected(dim: 1, index: 7) }
        try check([6, 10], "a row") { $0.selected(dim: 0, index: 5) }
        try check([4, 5, 6], "a plane of a cube") { $0.selected(dim: 1, index: 2) }
        try check([4, 5, 6], "a slice of a slice") { $0.narrowed(dim: 2, start: 1, length: 5, step: 2).narrowed(dim: 0, start: 1, length: 2) }
        try check([6, 10], "the whole") { $0 }
        try check([6, 10], "transposed (rows don't ascend)") { $0.transposed(0, 1).narrowed(dim: 0, start: 2, length: 5) }
        try check([1000, 2000], "the benchmark's ::2") { $0.narrowed(dim: 1, start: 0, length: 2000, step: 2) }
    }

    func testRowsAscend() {
        let t = DenseTensor<Float>(uninitializedShape: [4, 6])
        XCTAssertTrue(t.rowsAscend)
        XCTAssertTrue(t.narrowed(dim: 1, start: 1, length: 4, step: 2).rowsAscend)
        XCTAssertTrue(t.selected(dim: 1, index: 3).rowsAscend)
        XCTAssertFalse(t.transposed(0, 1).rowsAscend)
        XCTAssertFalse(t.expanded(to: [3, 4, 6]).rowsAscend, "stride 0: rows repeat")
    }
}
