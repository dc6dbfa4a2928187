import XCTest
import _TestSupport
@testable import TensorCore

/// The kernels of DenseTensor+Statistics.swift against plain loops, over the sizes that the
/// golden cases (at most 4 per dim) leave out: the SIMD16 blocks and tails of `prod` (0, 1, 15,
/// 16, 17, 33, 64 elements), and each dim of larger 3-d shapes for the row-wise extremum,
/// `cumsum` both ways and `logSumExp`.
final class StatisticsKernelTests: XCTestCase {
    private func values(_ n: Int, salt: Int) -> [Double] {
        (0..<n).map { i in 0.75 + Double((i * 7919 + salt * 104729) % 41) / 80 }   // in [0.75, 1.25]
    }

    func testProdOverEverySIMDTail() throws {
        for n in [0, 1, 15, 16, 17, 33, 64, 100] {
            let v = values(n, salt: n)
            let t = try DenseTensor<Double>(scalars: v, shape: [n])
            let expected = v.reduce(1, *)
            XCTAssertEqual(t.prod().scalar!, expected, accuracy: 1e-12 * Swift.max(1, Swift.abs(expected)), "\(n) elements")
            let f = try DenseTensor<Float>(scalars: v.map(Float.init), shape: [n])
            XCTAssertEqual(Double(f.prod().scalar!), expected, accuracy: 1e-4 * Swift.max(1, Swift.abs(expected)), "Float, \(n) elements")
        }
    }

    func testExtremumCumsumAndLogSumExpAlongEachDim() throws {
        let shape = [3, 17, 5]
        let v = values(Shape.count(shape), salt: 3).enumerated().map { $0.element * ($0.offset % 3 == 0 ? -1 : 1) }
        let t = try DenseTensor<Double>(scalars: v, shape: shape)
        func at(_ i: Int, _ j: Int, _ k: Int) -> Double { v[(i * shape[1] + j) * shape[2] + k] }
        for dim in 0..<3 {
            let (mins, positions) = t.min(dim: dim, keepDim: false)
            let (maxs, _) = t.max(dim: dim, keepDim: false)
            let sums = t.cumsum(dim: dim)
            let reversed = t.cumsum(dim: dim, reversed: true)
            let lse = t.logSumExp(dim: dim, keepDim: true)
            let size = shape[dim]
            for i in 0..<shape[0] { for j in 0..<shape[1] { for k in 0..<shape[2] {
                var index = [i, j, k]
                let position = index[dim]
                var slice: [Double] = []
                for s in 0..<size { index[dim] = s; slice.append(at(index[0], index[1], index[2])) }
                index[dim] = position
                let flat = (index[0] * shape[1] + index[1]) * shape[2] + index[2]
                XCTAssertEqual(sums.contiguous().withElements { $0[flat] }, slice[...position].reduce(0, +), accuracy: 1e-12)
                XCTAssertEqual(reversed.contiguous().withElements { $0[flat] }, slice[position...].reduce(0, +), accuracy: 1e-12)
                guard position == 0 else { continue }
                var reducedIndex = index
                reducedIndex.remove(at: dim)
                let reducedShape = shape.enumerated().filter { $0.offset != dim }.map(\.element)
                let r = reducedIndex[0] * reducedShape[1] + reducedIndex[1]
                let first = slice.firstIndex(of: slice.min()!)!
                XCTAssertEqual(mins.contiguous().withElements { $0[r] }, slice.min()!)
                XCTAssertEqual(positions[r], first, "min along \(dim) at \(index)")
                XCTAssertEqual(maxs.contiguous().withElements { $0[r] }, slice.max()!)
                XCTAssertEqual(lse.contiguous().withElements { $0[r] }, Foundation.log(slice.map { Foundation.exp($0) }.reduce(0, +)), accuracy: 1e-12)
            } } }
        }
    }
}
