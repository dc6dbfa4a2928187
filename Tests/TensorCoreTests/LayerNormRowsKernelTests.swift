import XCTest
@testable import TensorCore

/// The Float layer-norm row kernels (Note [Layer norm rows]) on every variant this CPU runs,
/// with and without weight and bias, rows shorter than, equal to and longer than the sixteen
/// lanes: forward and gradients close to a Double computation of the same formulas, and the
/// same bits from every variant.
final class LayerNormRowsKernelTests: XCTestCase {
    private struct Case {
        let x: [Float], g: [Float], w: [Float], b: [Float]
        let n: Int, rows: Int
    }

    private func makeCase(n: Int, rows: Int, seed: UInt64) -> Case {
        var rng = RandomGenerator(seed: seed)
        func values(_ count: Int, _ scale: Float, _ offset: Float) -> [Float] {
            (0..<count).map { _ in Float(rng.nextUnit()) * scale + offset }
        }
        return Case(x: values(n * rows, 4, -1.5), g: values(n * rows, 2, -1), w: values(n, 1, 0.5), b: values(n, 1, -0.5),
                    n: n, rows: rows)
    }

    /// Forward output, then dx, dw, db (dw and db accumulated over the rows).
    private func run(_ c: Case, weight: Bool, bias: Bool, variant: ExpKernel.Variant) -> [Float] {
        var y = [Float](repeating: .nan, count: c.x.count), dx = y
        var dw = [Float](repeating: 0, count: c.n), db = dw
        c.x.withUnsafeBufferPointer { x in c.g.withUnsafeBufferPointer { g in
            c.w.withUnsafeBufferPointer { w in c.b.withUnsafeBufferPointer { b in
                y.withUnsafeMutableBufferPointer { y in
                    LayerNormRowsKernel.apply(y.baseAddress!, x.baseAddress!, weight: weight ? w.baseAddress! : nil,
                                              bias: bias ? b.baseAddress! : nil, n: c.n, rows: 0..<c.rows, eps: 1e-5,
                                              variant: variant)
                }
                dx.withUnsafeMutableBufferPointer { dx in dw.withUnsafeMutableBufferPointer { dw in
                    db.withUnsafeMutableBufferPointer { db in
                        LayerNormRowsKernel.gradients(dx: dx.baseAddress!, dw: dw.baseAddress!, db: db.baseAddress!,
                                                      x.baseAddress!, grad: g.baseAddress!,
                                                      weight: weight ? w.baseAddress! : nil, n: c.n, rows: 0..<c.rows,
                                                      eps: 1e-5, variant: variant)
                    }
                } }
            } }
        } }
        return y + dx + dw + db
    }

    private func reference(_ c: Case, weight: Bool, bias: Bool) -> [Double] {
        var y = [Double](), dx = [Double]()
        var dw = [Double](repeating: 0, count: c.n), db = dw
        for r in 0..<c.rows {
            let x = c.x[r * c.n..<(r + 1) * c.n].map(Double.init), g = c.g[r * c.n..<(r + 1) * c.n].map(Double.init)
            let mean = x.reduce(0, +) / Double(c.n)
            let rstd = 1 / (x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c.n) + 1e-5).squareRoot()
            let xhat = x.map { ($0 - mean) * rstd }
            let w = weight ? c.w.map(Double.init) : [Double](repeating: 1, count: c.n)
            for i in 0..<c.n { y.append(xhat[i] * w[i] + (bias ? Double(c.b[i]) : 0)) }
            let gh = (0..<c.n).map { g[$0] * w[$0] }
            let meanG = gh.reduce(0, +) / Double(c.n)
            let meanGX = zip(gh, xhat).map(*).reduce(0, +) / Double(c.n)
            for i in 0..<c.n {
                dx.append(rstd * (gh[i] - meanG - xhat[i] * meanGX))
                dw[i] += g[i] * xhat[i]
                db[i] += g[i]
            }
        }
        return y + dx + dw + db
    }

    func testCloseToDoubleWithTheSameBitsOnEveryVariant() {
        let variants = ExpKernel.Variant.allCases.filter(ExpKernel.runs)
        for (k, (n, rows)) in [(5, 3), (16, 4), (37, 5), (128, 9)].enumerated() {
            let c = makeCase(n: n, rows: rows, seed: UInt64(40 + k))
            for (weight, bias) in [(true, true), (true, false), (false, true), (false, false)] {
                let expected = reference(c, weight: weight, bias: bias)
                var first: [Float]?
                for variant in variants {
                    let got = run(c, weight: weight, bias: bias, variant: variant)
                    let worst = zip(got, expected).map { abs(Double($0) - $1) / max(1, abs($1)) }.max()!
                    XCTAssertLessThan(worst, 2e-6, "n \(n), weight \(weight), bias \(bias), \(variant)")
                    if let first {
                        XCTAssertEqual(got.map(\.bitPattern), first.map(\.bitPattern), "n \(n): \(variant) vs \(variants[0])")
                    } else {
                        first = got
                    }
                }
            }
        }
    }
}
