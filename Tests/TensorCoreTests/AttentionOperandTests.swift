import XCTest
@testable import TensorCore

/// The fused attention kernels read each problem's matrices through `_AttentionOperand`, which
/// keeps up to four leading dimensions inline: more leading dimensions, and leading dimensions
/// of a view in another order, give what the same problems give as one contiguous batch.
final class AttentionOperandTests: XCTestCase {
    private func attention(_ q: DenseTensor<Double>, _ k: DenseTensor<Double>, _ v: DenseTensor<Double>)
        -> (output: [Double], gradients: [[Double]]) {
        let scale = 1 / Double(q.shape.last!).squareRoot()
        let (out, p) = DenseTensor.scaledDotProductAttention(query: q, key: k, value: v, mask: nil, causal: true, scale: scale)
        let g = out.unary(.neg)   // any upstream gradient will do; this one is at hand
        let grads = g.scaledDotProductAttentionGradients(query: q, key: k, value: v, probabilities: p, scale: scale,
                                                         causal: true, needs: (true, true, true))
        return (out.contiguous().scalars, [grads.query!, grads.key!, grads.value!].map { $0.contiguous().scalars })
    }

    func testFiveLeadingDimensionsAndPermutedViewsMatchOneContiguousBatch() throws {
        var rng = RandomGenerator(seed: 5)
        let (l, s, e) = (5, 6, 4)
        let q = DenseTensor<Double>.randn([2, 1, 3, 1, 2, l, e], using: &rng)
        let k = DenseTensor<Double>.randn([2, 1, 3, 1, 2, s, e], using: &rng)
        let v = DenseTensor<Double>.randn([2, 1, 3, 1, 2, s, e], using: &rng)
        let flat = attention(q.reshaped([12, l, e]), k.reshaped([12, s, e]), v.reshaped([12, s, e]))
        let wide = attention(q, k, v)
        XCTAssertEqual(wide.output, flat.output)
        XCTAssertEqual(wide.gradients, flat.gradients)

        // Leading dimensions swapped by a view: problem (i, j) of the view is (j, i) of the base.
        let base = [q, k, v].map { $0.reshaped([3, 4, $0.shape[5], e]) }
        let swapped = base.map { $0.transposed(0, 1) }
        XCTAssertFalse(swapped[0].isContiguous)
        let copied = swapped.map { $0.contiguous() }
        let viaView = attention(swapped[0], swapped[1], swapped[2])
        let viaCopy = attention(copied[0], copied[1], copied[2])
        XCTAssertEqual(viaView.output, viaCopy.output)
        XCTAssertEqual(viaView.gradients, viaCopy.gradients)
    }
}
