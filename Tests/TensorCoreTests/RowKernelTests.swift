import XCTest
import _TestSupport
@testable import TensorCore

/// The row kernels of Note [Softmax rows] and Note [Layer norm rows] against plain Double
/// loops, over the row lengths the golden cases (at most 4 per dim) leave out: one SIMD16
/// block, blocks plus a tail, an attention row (64), a layer norm row (128); on one thread and
/// split across two (``Parallel/minimumElements`` lowered so that small tensors split).
final class RowKernelTests: XCTestCase {
    private func values(_ n: Int, salt: Int) -> [Double] {
        (0..<n).map { i in Double((i * 7919 + salt * 104729) % 61) / 10 - 3 }   // in [-3, 3]
    }

    private func withThreads(_ threads: Int, _ body: () throws -> Void) rethrows {
        let saved = (Parallel.threads, Parallel.minimumElements)
        Parallel.threads = threads
        Parallel.minimumElements = threads > 1 ? 16 : saved.1
        defer { (Parallel.threads, Parallel.minimumElements) = saved }
        try body()
    }

    func testSoftmaxRowsAndTheirGradient() throws {
        for threads in [1, 2] { try withThreads(threads) {
            for size in [16, 17, 40, 64, 128] {
                let rows = 5
                let x = values(rows * size, salt: size), g = values(rows * size, salt: size + 1)
                var expectedY = [Double](), expectedDx = [Double]()
                for r in 0..<rows {
                    let row = x[(r * size)..<((r + 1) * size)], grow = g[(r * size)..<((r + 1) * size)]
                    let m = row.max()!, e = row.map { Foundation.exp($0 - m) }, total = e.reduce(0, +)
                    let y = e.map { $0 / total }
                    let dot = zip(y, grow).map { $0 * $1 }.reduce(0, +)
                    expectedY += y
                    expectedDx += zip(y, grow).map { $0 * ($1 - dot) }
                }
                func check<S: TensorScalar>(_: S.Type, tolerance: Double) throws {
                    let t = try DenseTensor<S>(scalars: x.map { S($0) }, shape: [rows, size])
                    let y = t.softmax(dim: 1)
                    let grad = try DenseTensor<S>(scalars: g.map { S($0) }, shape: [rows, size])
                    let dx = y.softmaxBackward(grad: grad, dim: -1, overwriting: false)
                    for (k, (a, b)) in zip(y.scalars, expectedY).enumerated() {
                        XCTAssertEqual(Double(a), b, accuracy: tolerance, "\(S.self) y[\(k)], rows of \(size), \(threads) threads")
                    }
                    for (k, (a, b)) in zip(dx.scalars, expectedDx).enumerated() {
                        XCTAssertEqual(Double(a), b, accuracy: tolerance, "\(S.self) dx[\(k)], rows of \(size), \(threads) threads")
                    }
                    // Over the gradient's buffer: the same values, and the caller's tensor is the result.
                    let owned = try DenseTensor<S>(scalars: g.map { S($0) }, shape: [rows, size])
                    XCTAssertEqual(y.softmaxBackward(grad: owned, dim: 1, overwriting: true).scalars, dx.scalars)
                }
                try check(Float.self, tolerance: 1e-6)
                try check(Double.self, tolerance: 1e-14)
            }
        } }
    }

    func testLayerNormRowsAndTheirGradients() throws {
        for threads in [1, 2] { try withThreads(threads) {
            for inner in [1, 15, 16, 17, 64, 130] {
                let rows = 6, eps = 1e-5
                let x = values(rows * inner, salt: inner), g = values(rows * inner, salt: inner + 1)
                let w = values(inner, salt: 7).map { $0 / 3 + 1 }, b = values(inner, salt: 9)
                var y = [Double](), dx = [Double](), dw = [Double](repeating: 0, count: inner), db = dw
                for r in 0..<rows {
                    let row = Array(x[(r * inner)..<((r + 1) * inner)]), grow = Array(g[(r * inner)..<((r + 1) * inner)])
                    let n = Double(inner), mu = row.reduce(0, +) / n
                    let rstd = 1 / (row.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / n + eps).squareRoot()
                    let xhat = row.map { ($0 - mu) * rstd }
                    y += (0..<inner).map { xhat[$0] * w[$0] + b[$0] }
                    let gw = (0..<inner).map { grow[$0] * w[$0] }
                    let meanG = gw.reduce(0, +) / n, meanGX = zip(gw, xhat).map { $0 * $1 }.reduce(0, +) / n
                    dx += (0..<inner).map { rstd * (gw[$0] - meanG - xhat[$0] * meanGX) }
                    for i in 0..<inner { dw[i] += grow[i] * xhat[i]; db[i] += grow[i] }
                }
                func check<S: TensorScalar>(_: S.Type, tolerance: Double) throws {
                    func dense(_ v: [Double], _ shape: [Int]) throws -> DenseTensor<S> { try DenseTensor(scalars: v.map { S($0) }, shape: shape) }
                    let t = try dense(x, [rows, inner]), weight = try dense(w, [inner]), bias = try dense(b, [inner])
                    let out = t.layerNormalized(rows: rows, inner: inner, weight: weight, bias: bias, eps: eps)
                    let grads = t.layerNormGradients(try dense(g, [rows, inner]), rows: rows, inner: inner, weight: weight, eps: eps,
                                                     needsInput: true, needsWeight: true, needsBias: true)
                    for (name, got, expected) in [("y", out.scalars, y), ("dx", grads.input!.scalars, dx),
                                                  ("dw", grads.weight!.scalars, dw), ("db", grads.bias!.scalars, db)] {
                        for (k, (a, e)) in zip(got, expected).enumerated() {
                            XCTAssertEqual(Double(a), e, accuracy: tolerance * Swift.max(1, Swift.abs(e)),
                                           "\(S.self) \(name)[\(k)], rows of \(inner), \(threads) threads")
                        }
                    }
                }
                try check(Float.self, tolerance: inner == 1 ? 1e-2 : 2e-5)
                try check(Double.self, tolerance: inner == 1 ? 1e-6 : 1e-12)
            }
        } }
    }
}
