import XCTest
import RealModule
@testable import TensorCore

/// The Float GELU kernels (Note [Vectorized GELU]) on every variant this CPU runs, exact and
/// tanh forms, forward and derivative: close to the float64 formulas over [−12, 12], PyTorch's
/// NaN at ±inf where it gives one, and the same bits from every variant (the vector builds fuse
/// multiply-adds in hardware, the baseline through libm's fmaf: one rounding either way).
final class GeluKernelTests: XCTestCase {
    /// Every 97th float bit pattern's worth of [−12, 12] (about 400,000 values) and the edges.
    private static let inputs: [Float] = {
        var xs: [Float] = []
        for bits in stride(from: UInt32(0), to: Float(12).bitPattern, by: 2693) {
            xs.append(Float(bitPattern: bits))
            xs.append(-Float(bitPattern: bits))
        }
        xs += [0, -0.0, 1, -1, 3.67, -3.67, 5.65162, -5.65162, 13.2, -13.2, 20, -20, 1e-30, -1e-30,
               .infinity, -.infinity, .nan]
        return xs
    }()

    private func run(_ variant: ExpKernel.Variant, approximate: Bool, derivative: Bool) -> [Float] {
        let xs = Self.inputs
        var out = [Float](repeating: .nan, count: xs.count)
        let ones = [Float](repeating: 1, count: xs.count)
        xs.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { dst in
                if derivative {
                    ones.withUnsafeBufferPointer { g in
                        GeluKernel.derivative(dst.baseAddress!, grad: g.baseAddress!, x.baseAddress!, xs.count,
                                              approximate: approximate, variant: variant)
                    }
                } else {
                    GeluKernel.apply(dst.baseAddress!, x.baseAddress!, xs.count, approximate: approximate, variant: variant)
                }
            }
        }
        return out
    }

    /// GELU and its derivative in Double, PyTorch's formulas.
    private static func reference(_ x: Double, approximate: Bool) -> (value: Double, derivative: Double) {
        if approximate {
            let c = (2 / Double.pi).squareRoot(), k = c * (x + 0.044715 * x * x * x), t = Double.tanh(k)
            return (0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x))
        }
        let cdf = 0.5 * (1 + Double.erf(x / 2.0.squareRoot())), pdf = Double.exp(-x * x / 2) / (2 * Double.pi).squareRoot()
        return (x * cdf, cdf + x * pdf)
    }

    func testCloseToFloat64OnEveryVariantWithTheSameBits() {
        let variants = ExpKernel.Variant.allCases.filter(ExpKernel.runs)
        XCTAssertTrue(variants.contains(ExpKernel.variant))
        // Worst absolute errors, relative to max(1, |x|) for the value: the exact form's erf
        // (rational in the forward, Abramowitz-Stegun in the derivative) is good to 3.3e-7 and
        // 5.3e-7 absolute; the tanh form's derivative loses a few more ulp where σ(2k) saturates.
        let bounds: [(approximate: Bool, derivative: Bool, bound: Double)] =
            [(false, false, 3e-7), (false, true, 5e-7), (true, false, 3e-7), (true, true, 2.5e-6)]
        for (approximate, derivative, bound) in bounds {
            var first: [UInt32]?
            for variant in variants {
                let got = run(variant, approximate: approximate, derivative: derivative)
                var worst = 0.0
                for (x, g) in zip(Self.inputs, got) where x.isFinite {
                    let r = Self.reference(Double(x), approximate: approximate)
                    let expected = derivative ? r.derivative : r.value
                    let scale = derivative ? 1 : max(1, abs(Double(x)))
                    worst = max(worst, abs(Double(g) - expected) / scale)
                }
                XCTAssertLessThanOrEqual(worst, bound, "\(variant) approximate \(approximate) derivative \(derivative)")
                let bits = got.map { $0.isNaN ? Float.nan.bitPattern : $0.bitPattern }
                if let first { XCTAssertEqual(bits, first, "\(variant): not the same bits as \(variants[0])") } else { first = bits }
            }
        }
    }

    /// PyTorch (float32, CPU): gelu(−inf) = NaN, gelu(inf) = inf; the derivative is NaN at both
    /// (x · φ(x) is ±inf · 0), 0.5 at 0; left of −4, GELU keeps its sign (the rational erf's
    /// overshoot below −1 is clamped).
    func testEdgesAsPyTorch() {
        for variant in ExpKernel.Variant.allCases.filter(ExpKernel.runs) {
            for approximate in [false, true] {
                let values = run(variant, approximate: approximate, derivative: false)
                let slopes = run(variant, approximate: approximate, derivative: true)
                func at(_ x: Float) -> (Float, Float) {
                    let i = Self.inputs.firstIndex { $0.bitPattern == x.bitPattern }!
                    return (values[i], slopes[i])
                }
                XCTAssertTrue(at(-.infinity).0.isNaN, "\(variant) \(approximate)")
                XCTAssertEqual(at(.infinity).0, .infinity, "\(variant) \(approximate)")
                XCTAssertTrue(at(.nan).0.isNaN && at(.nan).1.isNaN, "\(variant) \(approximate)")
                XCTAssertTrue(at(.infinity).1.isNaN && at(-.infinity).1.isNaN, "\(variant) \(approximate)")
                XCTAssertEqual(at(0).1, 0.5, "\(variant) \(approximate)")
                XCTAssertEqual(at(0).0, 0)
                for x: Float in [-3.67, -5.65162, -13.2, -20] {
                    XCTAssertLessThanOrEqual(at(x).0, 0, "gelu(\(x)) on \(variant), approximate \(approximate)")
                }
            }
        }
    }
}
