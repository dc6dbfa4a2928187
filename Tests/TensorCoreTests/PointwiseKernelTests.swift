import XCTest
import RealModule
@testable import TensorCore

/// The pointwise kernels that read exponentials a chunk at a time (silu, softplus, elu: the
/// Float ones through the vectorized exp kernel), and two others, on counts around the
/// 512-element chunk and large enough to be split across cores: each result is close to the
/// function's scalar formula in Double, element by element (the Double kernel within 1e-13, the
/// Float one within `2e-5·|y| + 1e-6`, which Float rounding in the formulas themselves needs:
/// silu's derivative at -30, gelu's tails; the inputs are scrambled, so a misplaced chunk is far
/// off), and a derivative written over its gradient equals the one written into a new buffer,
/// bit for bit.
final class PointwiseKernelTests: XCTestCase {
    private static let ops: [PointwiseOp] = [
        .silu, .softplus(beta: 1, threshold: 20), .softplus(beta: 2, threshold: 5), .elu(alpha: 0.7),
        .gelu(tanh: false), .log1p,
    ]
    private static let counts = [1, 7, 511, 512, 513, 1500, Parallel.minimumElements + 1001]

    /// `count` values in [-30, 30] (and over -1 for log1p), a fixed function of the position.
    private static func inputs(_ count: Int, for op: PointwiseOp) -> [Double] {
        (0..<count).map { i in
            let t = Double((i &* 7919) % 6007) / 6007
            return op == .log1p ? -0.99 + 30 * t : -30 + 60 * t
        }
    }

    /// The op at one value, by its function's scalar formula (no chunks, libm's exp).
    private static func reference(_ op: PointwiseOp, _ x: Double, grad g: Double? = nil) -> Double {
        func apply<F: PointwiseFunction>(_ f: F) -> Double where F.S == Double { g.map { f.derivative($0, x) } ?? f.value(x) }
        switch op {
        case .silu: return apply(PF.Silu<Double>())
        case let .softplus(beta, threshold): return apply(PF.Softplus<Double>(beta, threshold))
        case let .elu(alpha): return apply(PF.Elu<Double>(alpha))
        case .gelu(tanh: false): return apply(PF.Gelu<Double>())
        default: return apply(PF.Log1p<Double>())
        }
    }

    private func assertClose<S: TensorScalar>(_ actual: [S], _ expected: [Double], rtol: Double, atol: Double, _ message: String,
                                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
        for (i, (a, e)) in zip(actual.map(Double.init), expected).enumerated() where !(abs(a - e) <= rtol * abs(e) + atol || (a.isNaN && e.isNaN)) {
            XCTFail("\(message): element \(i): \(a), expected \(e)", file: file, line: line)
            return
        }
    }

    func testKernelsAgreeWithTheScalarFormulaAcrossChunks() throws {
        for op in Self.ops {
            for n in Self.counts {
                let x = Self.inputs(n, for: op).map { Double(Float($0)) }
                let g = (0..<n).map { Double(($0 % 13) - 6) / 4 }
                let values = x.map { Self.reference(op, $0) }
                let derivatives = zip(x, g).map { Self.reference(op, $0, grad: $1) }
                let xf = try DenseTensor<Float>(scalars: x.map { Float($0) }, shape: [n])
                let xd = try DenseTensor<Double>(scalars: x, shape: [n])
                let gf = try DenseTensor<Float>(scalars: g.map { Float($0) }, shape: [n])
                let gd = try DenseTensor<Double>(scalars: g, shape: [n])
                assertClose(xd.pointwise(op).scalars, values, rtol: 1e-13, atol: 1e-300, "\(op) n=\(n): Double value")
                assertClose(xd.pointwiseBackward(op, grad: gd).scalars, derivatives, rtol: 1e-13, atol: 1e-300, "\(op) n=\(n): Double derivative")
                assertClose(xf.pointwise(op).scalars, values, rtol: 2e-5, atol: 1e-6, "\(op) n=\(n): Float value")
                let derivative = xf.pointwiseBackward(op, grad: gf)
                assertClose(derivative.scalars, derivatives, rtol: 2e-5, atol: 1e-6, "\(op) n=\(n): Float derivative")
                let overwritten = xf.pointwiseBackward(op, grad: gf.copied(), overwriting: true)
                XCTAssertEqual(overwritten.scalars.map(\.bitPattern), derivative.scalars.map(\.bitPattern), "\(op) n=\(n): overwritten")
                XCTAssertEqual(gf.scalars, g.map { Float($0) }, "\(op) n=\(n): a gradient not handed over is not written")
            }
        }
    }
}
