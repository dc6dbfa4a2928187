import XCTest
import _TestSupport
@testable import TensorCore

/// The strided operand paths of `binary(_:_:)`, each against the same op on row-major copies:
/// `::2` slices (their own vectorized loop), a `::2` slice beside a row-major operand or a `::3`
/// one (the general loop), narrowed rows and a broadcast row (one loop down the rows), and a
/// matrix beside a transposed one (transposed to row-major first); in place where they can be.
final class StridedBinaryTests: XCTestCase {
    func testStridedOperandsGiveTheRowMajorResult() {
        var generator = RandomGenerator(seed: 7)
        let wide = DenseTensor<Float>.randn([37, 90], using: &generator)
        let other = DenseTensor<Float>.randn([37, 90], using: &generator)
        let square = DenseTensor<Float>.randn([45, 45], using: &generator)
        let square2 = DenseTensor<Float>.randn([45, 45], using: &generator)
        let pairs: [(String, DenseTensor<Float>, DenseTensor<Float>)] = [
            ("::2 and ::2", wide.narrowed(dim: 1, start: 0, length: 90, step: 2), other.narrowed(dim: 1, start: 1, length: 89, step: 2)),
            ("::2 and row-major", wide.narrowed(dim: 1, start: 0, length: 90, step: 2), other.narrowed(dim: 1, start: 0, length: 45)),
            ("::3 and ::2", wide.narrowed(dim: 1, start: 0, length: 88, step: 3).narrowed(dim: 1, start: 0, length: 29),
             other.narrowed(dim: 1, start: 0, length: 58, step: 2)),
            ("narrowed rows and narrowed rows", wide.narrowed(dim: 1, start: 3, length: 40), other.narrowed(dim: 1, start: 50, length: 40)),
            ("row-major and narrowed rows", wide.narrowed(dim: 1, start: 3, length: 40).contiguous(), other.narrowed(dim: 1, start: 50, length: 40)),
            ("row-major and a row broadcast", wide, other.narrowed(dim: 0, start: 4, length: 1)),
            ("row-major and transposed", square, square2.transposed(0, 1)),
            // A transposed row or column: strides [1, n] too, but no matrix to transpose (the
            // first version of the transposed path went round in circles on [n, 1] with strides
            // [1, n], whose `contiguous()` keeps them: DifferentialTests' seed 20254527).
            ("a column and a transposed row", wide.narrowed(dim: 1, start: 0, length: 1), other.narrowed(dim: 0, start: 0, length: 1).transposed(0, 1).narrowed(dim: 0, start: 0, length: 37)),
            ("a column and a transposed row of its own length", wide.narrowed(dim: 1, start: 0, length: 1),
             DenseTensor<Float>.randn([1, 37], using: &generator).transposed(0, 1)),
            ("a transposed column and a row", wide.narrowed(dim: 1, start: 5, length: 1).transposed(0, 1), other.narrowed(dim: 0, start: 2, length: 1).narrowed(dim: 1, start: 0, length: 37)),
            ("transposed and row-major", square.transposed(0, 1), square2),
        ]
        for (what, a, b) in pairs {
            for op in [BinaryOp.add, .sub, .mul, .div] {
                let expected = a.contiguous().binary(op, b.contiguous())
                let got = a.binary(op, b)
                XCTAssertEqual(got.shape, expected.shape, "\(what), \(op)")
                XCTAssertEqual(got.scalars, expected.scalars, "\(what), \(op)")
                // Written over a row-major left operand's own buffer (a derivative's gradient).
                if a.isContiguous {
                    let overwritten = a.copied().binary(op, b, overwriting: true)
                    XCTAssertEqual(overwritten.scalars, expected.scalars, "\(what), \(op), in place")
                }
            }
        }
    }
}
