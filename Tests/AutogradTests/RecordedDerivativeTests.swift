import Foundation
import XCTest
@testable import Autograd
import TensorCore

/// The recorded interpretation of the derivatives (Note [Two interpretations of a derivative]):
/// for each op whose derivative is a formula, in Double,
///
/// 1. the gradients the recorded sweep forms equal the plain sweep's, and
/// 2. differentiating them again gives the Hessian-vector product `H·v`, checked against
///    central differences of the plain sweep's gradients, `(∇f(x + εv) − ∇f(x − εv)) / 2ε`.
///
/// So each derivative is one formula that runs both ways, and the recorded one is itself
/// differentiable: what `createGraph` (issue 17) stands on.
final class RecordedDerivativeTests: XCTestCase {
    /// A scalar function of the inputs, made of the ops under test (with nonlinear parts around
    /// linear ops, so that their second derivatives are not all zero).
    struct Case {
        let name: String
        let shapes: [[Int]]
        /// Inputs kept away from 0 (for `log`, `sqrt`, a divisor, `abs`, `relu` kinks).
        var awayFromZero = false
        let f: ([Tensor<Double>]) -> Tensor<Double>
    }

    static var cases: [Case] { [
        Case(name: "add (broadcast), self product, sum", shapes: [[2, 3], [3]]) { x in
            let s = x[0] + x[1]
            return (s * s).sum()
        },
        Case(name: "addScalar, rsubScalar, subScalar, mul, exp", shapes: [[2, 3]]) { x in
            (((x[0] + 2) * (3 - x[0]) - 1) * 0.1).exp().sum()
        },
        Case(name: "sub (broadcast), pow", shapes: [[2, 3], [2, 1]]) { x in (x[0] - x[1]).pow(3).sum() },
        Case(name: "mul (broadcast), mul", shapes: [[2, 3], [2, 1]]) { x in (x[0] * x[1] * x[0]).sum() },
        Case(name: "mulScalar, divScalar, tanh, mean", shapes: [[3, 2]]) { x in ((x[0] * 3) / 2).tanh().mean() },
        Case(name: "div (broadcast)", shapes: [[2, 3], [3]], awayFromZero: true) { x in (x[0] / x[1]).sum() },
        Case(name: "neg, sigmoid", shapes: [[4]]) { x in (-x[0]).sigmoid().sum() },
        Case(name: "log, abs", shapes: [[2, 2]], awayFromZero: true) { x in (x[0].abs() * x[0]).log().sum() },
        Case(name: "sqrt", shapes: [[3]]) { x in (x[0] * x[0] + 1).sqrt().sum() },
        Case(name: "relu", shapes: [[5]], awayFromZero: true) { x in (x[0].relu() * x[0].relu() * x[0]).sum() },
        Case(name: "sum(dim:), mean(dim:keepDim:)", shapes: [[2, 3]]) { x in
            x[0].sum(dim: 1).pow(2).sum() + (x[0].mean(dim: 0, keepDim: true) * x[0]).pow(2).mean()
        },
        Case(name: "reshape, t, transpose, unsqueeze, expand, permute, squeeze", shapes: [[2, 3], [3]]) { x in
            let a = x[0].reshaped([3, 2]).transposed() * x[0]
            let b = x[1].unsqueezed(dim: 0).expanded(to: [2, 3]) * a.transposed(0, 1).transposed()
            let c = b.unsqueezed(dim: 2).permuted([2, 1, 0]).squeezed().squeezed(dim: 0)
            return (c * c).sum()
        },
        Case(name: "mm", shapes: [[2, 3], [3, 4]]) { x in x[0].matmul(x[1]).pow(2).sum() },
        Case(name: "mm of a transposed operand", shapes: [[2, 3], [4, 3]]) { x in x[0].matmul(x[1].transposed()).tanh().sum() },
        Case(name: "mv", shapes: [[3, 2], [2]]) { x in x[0].matmul(x[1]).tanh().sum() },
        Case(name: "linear with bias", shapes: [[4, 3], [2, 3], [2]]) { x in linear(x[0], weight: x[1], bias: x[2]).tanh().sum() },
        Case(name: "linear without bias", shapes: [[4, 3], [2, 3]]) { x in linear(x[0], weight: x[1], bias: nil).pow(2).sum() },
        Case(name: "softmax", shapes: [[2, 4], [2, 4]]) { x in (x[0].softmax(dim: 1) * x[1]).sum() },
        Case(name: "logSoftmax", shapes: [[3, 4]]) { x in x[0].logSoftmax(dim: 1).pow(2).mean() },
        Case(name: "max", shapes: [[2, 3]]) { x in (x[0].max() * x[0]).sum() },
        Case(name: "max(dim:)", shapes: [[3, 4]]) { x in x[0].max(dim: 1).pow(3).sum() + x[0].max(dim: 0, keepDim: true).sum() },
        // Reductions+Statistics.swift
        Case(name: "min, min(dim:)", shapes: [[3, 4]]) { x in (x[0].min() * x[0]).sum() + x[0].min(dim: 1).pow(3).sum() },
        Case(name: "sum(dims:), mean(dims:)", shapes: [[2, 3, 4]]) { x in
            x[0].sum(dims: [0, 2]).pow(2).sum() + (x[0].mean(dims: [-1, 1], keepDim: true) * x[0]).pow(2).sum()
        },
        Case(name: "prod", shapes: [[2, 3]], awayFromZero: true) { x in x[0].prod().pow(2) + (x[0].prod() * x[0]).sum() },
        Case(name: "prod with one zero, two zeros", shapes: [[2, 3]]) { x in
            let one = x[0].maskedFill(try! Tensor<Bool>([false, false, true, false, false, false], shape: [2, 3]), with: 0)
            let two = x[0].maskedFill(try! Tensor<Bool>([true, false, false, false, true, false], shape: [2, 3]), with: 0)
            return (one.prod() * x[0]).sum() + (two.prod() * x[0]).sum() + (x[0] * 1).prod()
        },
        Case(name: "variance, std", shapes: [[3, 4]]) { x in
            x[0].variance(dims: [1]).pow(2).sum() + x[0].std() * x[0].std(dims: [0], correction: 0, keepDim: true).sum()
                + x[0].variance(correction: 0) * x[0].variance(dims: [], keepDim: true).sum()
        },
        Case(name: "norm", shapes: [[2, 3]], awayFromZero: true) { x in
            x[0].norm() * x[0].norm(p: 3) + x[0].norm(p: 1).pow(2) + x[0].norm(p: .infinity) * x[0].norm(p: 0.5)
                + x[0].norm(p: -.infinity).pow(2) + x[0].norm(p: 1.5).pow(3)
        },
        Case(name: "logSumExp, cumsum", shapes: [[3, 4]]) { x in
            x[0].logSumExp(dim: 1).pow(2).sum() + x[0].cumsum(dim: 0).pow(3).sum() + x[0].logSumExp(dim: -2, keepDim: true).tanh().sum()
        },
        // Losses.swift
        Case(name: "nllLoss, crossEntropy with Tensor<Int> targets (one ignored)", shapes: [[3, 4]]) { x in
            let t = try! Tensor<Int>([1, -100, 3], shape: [3])
            return nllLoss(logProbabilities: x[0].logSoftmax(dim: 1), targets: t) * x[0].sum()
                + crossEntropy(logits: x[0] * x[0], targets: try! Tensor<Int>([0, 2, 1], shape: [3]))
                + crossEntropy(logits: x[0].tanh(), targets: t)
        },
        Case(name: "binaryCrossEntropy, binaryCrossEntropyWithLogits", shapes: [[2, 3], [2, 3]]) { x in
            binaryCrossEntropy(x[0].sigmoid(), x[1].sigmoid()) + binaryCrossEntropyWithLogits(x[0] * x[1], x[1].sigmoid())
        },
        Case(name: "huberLoss, smoothL1Loss, l1Loss", shapes: [[2, 3], [3]], awayFromZero: true) { x in
            huberLoss(x[0] * x[0], x[1], delta: 0.8) + smoothL1Loss(x[0].tanh(), x[1] * x[1], beta: 0.7) * x[1].sum()
                + l1Loss(x[0] * 3, x[1])
        },
        Case(name: "gather", shapes: [[2, 3]]) { x in x[0].gather(dim: 1, index: index([[2, 0, 2, 1], [1, 1, 0, 2]])).pow(3).sum() },
        Case(name: "scatterAdd", shapes: [[3, 2], [2, 2]]) { x in
            x[0].scatterAdd(dim: 0, index: index([[2, 0], [2, 1]]), source: x[1]).pow(3).sum()
        },
        Case(name: "maskedFill (broadcast mask)", shapes: [[2, 3]]) { x in
            (x[0].maskedFill(Tensor<Bool>(data: try! DenseTensor(scalars: [true, false, true], shape: [3])), with: 0.5) * x[0]).pow(2).sum()
        },
        Case(name: "where (broadcast)", shapes: [[2, 3], [3]]) { x in
            Tensor.where(Tensor<Bool>(data: try! DenseTensor(scalars: [false, true, true, false, false, true], shape: [2, 3])), x[0], x[1]).pow(3).sum()
        },
        Case(name: "cat", shapes: [[2, 3], [2, 1], [2, 2]]) { x in Tensor.cat(x, dim: 1).pow(3).sum() },
        Case(name: "stack", shapes: [[3], [3]]) { x in (Tensor.stack(x, dim: 1) * Tensor.stack(x, dim: 0).transposed()).pow(2).sum() },
        Case(name: "split, chunked (a piece unused)", shapes: [[5, 2]]) { x in
            let pieces = x[0].split(size: 2, dim: 0)
            let halves = x[0].chunked(2, dim: 1)
            return pieces[0].pow(3).sum() + (pieces[2] * pieces[2]).sum() + (halves[1] * halves[1]).sum()
        },
        Case(name: "unbind", shapes: [[3, 2]]) { x in
            let rows = x[0].unbind(dim: 0)
            return (rows[0] * rows[2]).pow(2).sum()
        },
        Case(name: "select, narrow", shapes: [[3, 4]]) { x in
            (x[0].select(dim: 1, index: 2) * x[0].narrow(dim: 1, start: 1, length: 3).sum(dim: 1)).pow(2).sum()
        },
        Case(name: "stepped slice", shapes: [[7, 2]]) { x in x[0][.stride(1..<7, by: 2)].pow(3).sum() },
        Case(name: "indexSelect", shapes: [[3, 2]]) { x in x[0].indexSelect(dim: 0, index: Tensor<Int>([2, 0, 2])).pow(3).sum() },
        Case(name: "index by Int and Bool tensors", shapes: [[3, 2]]) { x in
            x[0][Tensor<Int>([1, 1, 0])].pow(3).sum() + x[0][Tensor<Bool>([true, false, true])].pow(2).sum()
        },
        Case(name: "index put", shapes: [[3, 2], [2, 2]]) { x in
            let z = x[0] * 1
            z[Tensor<Int>([0, 2])] = x[1]
            return (z * x[0]).pow(2).sum()
        },
        Case(name: "in place through a view (CopySlices, AsStrided)", shapes: [[2, 3], [2, 2]]) { x in
            let z = x[0] * 1
            let v = z.narrow(dim: 1, start: 1, length: 2)
            v *= x[1]
            return z.pow(2).sum() + v.pow(3).sum() + z.transposed()[1].pow(3).sum()
        },
        Case(name: "scalar / tensor", shapes: [[2, 3]], awayFromZero: true) { x in (3 / x[0]).pow(2).sum() },
        Case(name: "crossEntropy", shapes: [[3, 4]]) { x in crossEntropy(logits: x[0] * x[0], targets: [1, 3, 1]) },
        Case(name: "crossEntropy of one row", shapes: [[5]]) { x in crossEntropy(logits: x[0].tanh(), targets: [2]) },
        Case(name: "mseLoss (broadcast target)", shapes: [[2, 3], [3]]) { x in mseLoss(x[0].tanh(), x[1] * x[1]) },
        Case(name: "fill, zero, copy, fill with a tensor", shapes: [[2, 3], [2, 3]]) { x in
            let a = x[0] * x[0]
            a.fill(2)
            let b = x[0] * 1
            b.zero()
            let c = x[0] * 1
            c.copy(from: x[1] * x[1])
            let d = x[0] * 1
            d[.ellipsis] = x[1].sum()
            return (a * x[0]).sum() + (b + x[0]).pow(2).sum() + (c * x[0]).pow(2).sum() + (d * x[0]).pow(2).sum()
        },
        Case(name: "split(sizes:)", shapes: [[3, 2]]) { x in
            let pieces = x[0].split(sizes: [1, 2], dim: 0)
            return pieces[0].pow(3).sum() + (pieces[1] * pieces[1]).sum()
        },
        Case(name: "reshape of a strided tensor (alias, or a copy), clone, alias", shapes: [[2, 3]]) { x in
            let t = x[0].transposed()
            return t.reshaped([3, 2, 1]).pow(3).sum() + t.reshaped([6]).pow(3).sum() + x[0].cloned().pow(3).sum()
                + x[0][.ellipsis].pow(3).sum()
        },
        // Pointwise.swift (issue 18)
        Case(name: "log1p, expm1, sin, cos", shapes: [[2, 3]]) { x in
            ((x[0] * x[0]).log1p() * x[0].sin() + (x[0] * 0.5).expm1() * x[0].cos()).sum()
        },
        Case(name: "sign, rsqrt, reciprocal, erf, square", shapes: [[4]]) { x in
            let r = x[0] * x[0] + 1
            return (r.rsqrt() * x[0].sign() + r.reciprocal() * x[0] + x[0].erf() * x[0].square()).sum()
        },
        Case(name: "clamped, leakyRelu, elu", shapes: [[6]], awayFromZero: true) { x in
            (x[0].clamped(min: -1.2, max: 0.9).pow(3) + x[0].clamped(max: 0.3) * x[0] + x[0].leakyRelu(negativeSlope: 0.2).pow(3)
                + (x[0].elu(alpha: 0.5) * x[0]).pow(2)).sum()
        },
        Case(name: "gelu, gelu tanh, silu, softplus", shapes: [[5]]) { x in
            (x[0].gelu() * x[0].gelu(approximate: true) + x[0].silu().pow(2) + x[0].softplus(beta: 2, threshold: 20) * x[0]).sum()
        },
        Case(name: "pow(Tensor), maximum, minimum (broadcast)", shapes: [[2, 3], [3]]) { x in
            let base = x[0] * x[0] + 0.5
            return (base.pow(x[1]) + Tensor.maximum(x[0], x[1]).pow(3) + Tensor.minimum(x[0] * x[1], x[1]).pow(2)).sum()
        },
        // Products.swift, Embedding.swift, Normalization.swift (issue 18, products-norm)
        Case(name: "dot, matmul 1-D · 2-D (SqueezeBackward4)", shapes: [[3], [3], [3, 2]]) { x in
            x[0].matmul(x[1]).pow(3) + x[0].matmul(x[2]).tanh().sum()
        },
        Case(name: "bmm, matmul broadcast (UnsafeView) and folded (Clone)", shapes: [[2, 2, 3], [2, 3, 2], [3, 2], [2, 3]]) { x in
            x[0].bmm(x[1]).pow(3).sum() + x[0].matmul(x[2]).tanh().sum() + x[3].matmul(x[1]).pow(2).sum()
                + x[0].matmul(x[1].unsqueezed(dim: 0)).tanh().sum()
        },
        Case(name: "embedding (repeated rows, padding)", shapes: [[4, 2]]) { x in
            embedding(index([[1, 3, 1], [0, 1, 2]]), weight: x[0], paddingIdx: 2).pow(3).sum()
        },
        Case(name: "layerNorm with and without weight and bias", shapes: [[3, 4], [4], [4], [3, 4]]) { x in
            (layerNorm(x[0], normalizedShape: [4], weight: x[1], bias: x[2]).tanh() * x[3]).sum()
                + (layerNorm(x[0] * x[3], normalizedShape: [3, 4]) * x[3]).pow(2).sum()
        },
        Case(name: "batchNorm training and evaluation", shapes: [[4, 3, 2], [3], [3], [4, 3, 2]]) { x in
            let mean = Tensor<Double>.zeros([3]), variance = Tensor<Double>.ones([3])
            let trained = batchNorm(x[0], runningMean: mean, runningVar: variance, weight: x[1], bias: x[2], training: true)
            // Statistics of their own: the training call changed `mean` and `variance` as a function of x[0].
            let evaluated = batchNorm(x[0], runningMean: Tensor<Double>.full([3], value: 0.2), runningVar: Tensor<Double>.full([3], value: 1.5),
                                      weight: x[1], bias: x[2], training: false)
            return (trained.tanh() * x[3]).sum() + (evaluated * x[3]).pow(2).sum()
                + (batchNorm(x[0] * x[3], runningMean: nil, runningVar: nil, training: true) * x[3]).pow(2).sum()
        },
        // Convolution.swift, Pooling.swift (issue 18)
        Case(name: "conv2d (bias, padding, groups), conv1d (stride, dilation)",
             shapes: [[2, 2, 4, 3], [4, 1, 2, 2], [4], [2, 3, 7], [2, 3, 2]]) { x in
            let y = conv2d(x[0], weight: x[1], bias: x[2], padding: 1, groups: 2)
            let z = conv1d(x[3], weight: x[4], stride: 2, dilation: 2)
            return (y * y * y).sum() + (z * z * z).sum()
        },
        Case(name: "conv2d's recorded gradients (ConvolutionBackwardBackward0)", shapes: [[1, 2, 3, 3], [2, 2, 2, 2]]) { x in
            let y = conv2d(x[0], weight: x[1], stride: [1, 2], padding: [1, 1])
            let g = try! grad(outputs: [(y * y).sum()], inputs: [x[0], x[1]], createGraph: true)
            return (g[0]! * g[0]!).sum() + (g[1]! * x[1]).sum()
        },
        Case(name: "maxPool2d, avgPool2d and its recorded gradient", shapes: [[2, 2, 4, 5]]) { x in
            let p = avgPool2d(x[0], kernelSize: 3, stride: 1, padding: 1)
            let g = try! grad(outputs: [(p * p).sum()], inputs: [x[0]], createGraph: true)[0]!
            return maxPool2d(x[0], kernelSize: 2, stride: 1, padding: 1).pow(3).sum() + (p * p * p).sum() + (g * x[0]).sum()
        },
        // Attention.swift (issue 18): the fused node (mask with a row that attends nowhere,
        // causal with L ≠ S) and the math path (3-D, SafeSoftmaxBackward0).
        Case(name: "scaledDotProductAttention, fused and math path", shapes: [[1, 2, 3, 2], [1, 2, 4, 2], [1, 2, 4, 2], [2, 3, 2]]) { x in
            let mask = try! Tensor<Bool>([true, false, true, false, false, false, false, false, true, true, true, true], shape: [3, 4])
            let y = scaledDotProductAttention(query: x[0], key: x[1], value: x[2], mask: mask)
            let z = scaledDotProductAttention(query: x[0], key: x[1], value: x[2], isCausal: true)
            let w = scaledDotProductAttention(query: x[3], key: x[3], value: x[3] * x[3], isCausal: true)
            return (y * y * y).sum() + (z * z * x[0]).sum() + (w * w * w).sum()
        },
    ] }

    static func index(_ rows: [[Int]]) -> Tensor<Int> {
        Tensor<Int>(data: try! DenseTensor(scalars: rows.flatMap { $0 }, shape: [rows.count, rows[0].count]))
    }

    func testRecordedGradientsEqualThePlainSweepsAndDifferentiateAgain() throws {
        var generator = RandomGenerator(seed: 17)
        for c in Self.cases {
            let values = c.shapes.map { shape -> DenseTensor<Double> in
                var d = Tensor<Double>.randn(shape, using: &generator).data
                if c.awayFromZero { d = d.binary(.add, d.unary(.abs).binary(.div, d).binary(.mul, scalar: 0.5)) }   // x + sgn(x)/2
                return d
            }
            let directions = c.shapes.map { Tensor<Double>.randn($0, using: &generator).data }

            // 1. recorded == plain
            let plain = try plainGradients(c.f, at: values)
            let inputs = values.map { Tensor(data: $0, requiresGrad: true) }
            let grads = try c.f(inputs).recordedGradients(wrt: inputs)
            for k in inputs.indices {
                let g = try XCTUnwrap(grads[k], "\(c.name): no recorded gradient for input \(k)")
                assertClose(g.data, plain[k], tolerance: 1e-12, "\(c.name): recorded gradient of input \(k)")
            }

            // 2. the recorded gradients differentiate again: ∇(∇f · v) = H v
            var gv: Tensor<Double>?
            for k in inputs.indices {
                let term = (grads[k]! * Tensor(data: directions[k])).sum()
                gv = gv.map { $0 + term } ?? term
            }
            let product = try XCTUnwrap(gv)
            XCTAssertTrue(product.requiresGrad, "\(c.name): the recorded gradients have no history")
            try product.backward()
            let eps = 1e-6
            let plus = try plainGradients(c.f, at: zip(values, directions).map { $0.binary(.add, $1.binary(.mul, scalar: eps)) })
            let minus = try plainGradients(c.f, at: zip(values, directions).map { $0.binary(.sub, $1.binary(.mul, scalar: eps)) })
            for k in inputs.indices {
                let numeric = plus[k].binary(.sub, minus[k]).binary(.div, scalar: 2 * eps)
                let analytic = inputs[k].grad?.data ?? DenseTensor(shape: values[k].shape, repeating: 0)
                assertClose(analytic, numeric, tolerance: 1e-6, "\(c.name): H·v for input \(k)")
            }
        }
    }

    /// A tripwire: every op's derivative is a formula the recorded sweep runs, and some case
    /// above differentiates it twice (ToCopy's gradient crosses to another graph, which the
    /// recorded sweep does not follow yet: its derivative is the plain sweep's only).
    func testEveryOpIsDifferentiatedTwiceBySomeCase() throws {
        var generator = RandomGenerator(seed: 17)
        var covered = Set<OpKind>()
        for c in Self.cases {
            let inputs = c.shapes.map { Tensor<Double>.randn($0, using: &generator, requiresGrad: true) }
            covered.formUnion(Self.kinds(reachedFrom: c.f(inputs)))
        }
        // ToCopy's and custom functions' second derivatives are tested where OpTableTests says.
        for kind in OpKind.allCases where OpTableTests.coveredElsewhere[kind] == nil {
            XCTAssertTrue(covered.contains(kind), "no case of RecordedDerivativeTests records \(kind) (\(kind.name)): add one")
        }
    }

    /// The ops of the nodes `t`'s gradient would pass through.
    static func kinds(reachedFrom t: Tensor<Double>) -> Set<OpKind> {
        guard let history = t.history, let graph = history.segment.graph else { return [] }
        var kinds = Set<OpKind>()
        var seen = Set<[UInt32]>()
        var pending = [(history.segmentID, history.index)]
        while let (segmentID, index) = pending.popLast() {
            guard seen.insert([UInt32(segmentID), index]).inserted else { continue }
            let segment = graph.segment(segmentID)
            let pointer = segment.nodes[Int(index)]
            kinds.insert(pointer.pointee.op)
            for k in 0..<Int(pointer.pointee.inputCount) {
                let edge = Segment<Double>.input(k, of: pointer)
                if edge.kind == .node { pending.append((edge.segment, edge.index)) }
            }
        }
        return kinds
    }

    func testThirdDerivatives() throws {
        // Σ 3/x: the recorded reciprocal is rebuilt at each order (ScalarDiv's recordedSaved).
        let x = try Tensor<Double>([0.5, -2, 3], shape: [3], requiresGrad: true)
        let first = try XCTUnwrap((3 / x).sum().recordedGradients(wrt: [x])[0])
        let second = try XCTUnwrap(first.sum().recordedGradients(wrt: [x])[0])
        try second.sum().backward()
        for (i, v) in [0.5, -2, 3].enumerated() {
            XCTAssertEqual(first.data.scalars[i], -3 / (v * v), accuracy: 1e-12)
            XCTAssertEqual(second.data.scalars[i], 6 / (v * v * v), accuracy: 1e-12)
            XCTAssertEqual(x.grad!.data.scalars[i], -18 / (v * v * v * v), accuracy: 1e-12)
        }
        // Σ tanh x: tanh''' = −2 (1 − t²)(1 − 3t²).
        let y = try Tensor<Double>([0.3, -1.2], shape: [2], requiresGrad: true)
        let d1 = try XCTUnwrap(y.tanh().sum().recordedGradients(wrt: [y])[0])
        let d2 = try XCTUnwrap(d1.sum().recordedGradients(wrt: [y])[0])
        try d2.sum().backward()
        for (i, v) in [0.3, -1.2].enumerated() {
            let t = Foundation.tanh(v)
            XCTAssertEqual(y.grad!.data.scalars[i], -2 * (1 - t * t) * (1 - 3 * t * t), accuracy: 1e-12)
        }
    }

    func testGradientOfAGradientHasTheHistoryPyTorchShows() throws {
        // d/dx Σ x³ = 3x², recorded: its grad_fn is the product that formed it.
        let x = Tensor<Double>.full([3], value: 2, requiresGrad: true)
        let g = try XCTUnwrap(x.pow(3).sum().recordedGradients(wrt: [x])[0])
        XCTAssertEqual(g.data.scalars, [12, 12, 12])
        XCTAssertEqual(g.gradFn?.name, "MulBackward0")
        try g.sum().backward()
        XCTAssertEqual(x.grad?.data.scalars, [12, 12, 12])   // d/dx Σ 3x² = 6x
        XCTAssertNil(try Tensor<Double>.ones([2], requiresGrad: true).sum().recordedGradients(wrt: [x])[0])
    }

    func testRecordedSweepLeavesGradsAndGraphAsTheyWere() throws {
        let x = Tensor<Double>.full([2], value: 3, requiresGrad: true)
        let y = (x * x).sum()
        _ = try y.recordedGradients(wrt: [x])
        XCTAssertNil(x.grad)
        try y.backward()   // the graph is still there
        XCTAssertEqual(x.grad?.data.scalars, [6, 6])
    }

    func testRecordedSweepRefusesWhatThePlainOneRefuses() throws {
        // A saved input changed in place since.
        let x = Tensor<Double>.full([2], value: 3, requiresGrad: true)
        let h = x * 2
        let y = (h * h).sum()
        h.fill(1)
        XCTAssertThrowsError(try y.recordedGradients(wrt: [x])) { error in
            guard case AutogradError.savedTensorModified = error else { return XCTFail("\(error)") }
        }
        // A graph a plain backward freed.
        let z = (x * x).sum()
        try z.backward()
        XCTAssertThrowsError(try z.recordedGradients(wrt: [x])) { XCTAssertEqual($0 as? AutogradError, .graphFreed) }
    }

    /// A gradient-penalty step (the gradient recorded, its norm added to the loss, one backward
    /// through both) leaves no graph behind: the recorded nodes go with the graph they were
    /// recorded into, freed by the backward.
    func testGradientPenaltyStepsLeaveNoGraphBehind() throws {
        var generator = RandomGenerator(seed: 3)
        let w = Tensor<Double>.randn([4, 3], using: &generator, requiresGrad: true)
        let x = Tensor<Double>.randn([5, 4], using: &generator)
        func step() throws {
            let loss = x.matmul(w).tanh().pow(2).mean()
            let g = try XCTUnwrap(loss.recordedGradients(wrt: [w])[0])
            XCTAssertGreaterThan(currentGraphStats().nodeCount, 8)   // the forward's and the recorded derivatives'
            try (loss + (g * g).sum()).backward()
            w.zeroGrad()
        }
        for _ in 0..<5 { try step() }
        let settled = currentGraphStats()
        XCTAssertEqual(settled.nodeCount, 0)
        for _ in 0..<200 { try step() }
        let after = currentGraphStats()
        XCTAssertEqual([after.nodeCount, after.bytesInUse, after.bytesReserved], [settled.nodeCount, settled.bytesInUse, settled.bytesReserved])
    }

    private func plainGradients(_ f: ([Tensor<Double>]) -> Tensor<Double>, at values: [DenseTensor<Double>]) throws -> [DenseTensor<Double>] {
        let inputs = values.map { Tensor(data: $0.copied(), requiresGrad: true) }
        try f(inputs).backward()
        return inputs.map { $0.grad?.data ?? DenseTensor(shape: $0.shape, repeating: 0) }
    }

    private func assertClose(_ a: DenseTensor<Double>, _ b: DenseTensor<Double>, tolerance: Double, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, message, file: file, line: line)
        let (x, y) = (a.contiguous().scalars, b.contiguous().scalars)
        for i in x.indices where Swift.abs(x[i] - y[i]) > tolerance * Swift.max(1, Swift.abs(y[i])) {
            XCTFail("\(message): element \(i): \(x[i]) vs \(y[i])", file: file, line: line)
            return
        }
    }
}
