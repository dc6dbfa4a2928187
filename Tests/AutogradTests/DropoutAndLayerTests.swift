import XCTest
import Autograd
import _TestSupport

/// Dropout (PyTorch 2.11 records MulBackward0 for it on the CPU) and the layers of issue 18:
/// `Dropout`, `Flatten`, `Embedding`, `LayerNorm`, `BatchNorm1d`/`BatchNorm2d`, and `train()`/
/// `eval()` reaching them through a `Sequential`.
final class DropoutAndLayerTests: XCTestCase {
    /// The backward multiplies by the mask the forward drew: the gradient of `sum(dropout(x))` is
    /// `y / x` elementwise (0 where dropped, 1/(1 − p) where kept), and kept elements are `x/(1 − p)`.
    func testMaskOfForwardIsMaskOfBackwardAndScalesByOneOverOneMinusP() throws {
        Tensor<Float>.manualSeed(3)
        let x = Tensor<Float>.rand([1000], requiresGrad: true)
        let p = 0.25
        let y = dropout(x + 1, p: p, training: true)
        XCTAssertEqual(y.gradFn?.name, "MulBackward0")
        try y.sum().backward()
        let scale = Float(1 / (1 - p))
        var dropped = 0
        for (i, (value, g)) in zip(y.scalars, x.grad!.scalars).enumerated() {
            if g == 0 {
                dropped += 1
                XCTAssertEqual(value, 0, "element \(i)")
            } else {
                XCTAssertEqual(g, scale, "element \(i)")
                XCTAssertEqual(value, (x.scalars[i] + 1) * scale, accuracy: 1e-6, "element \(i)")
            }
        }
        XCTAssertTrue((200...300).contains(dropped), "\(dropped) of 1000 dropped with p = 0.25")
    }

    func testSameSeedGivesSameMask() {
        let x = Tensor<Double>.ones([64])
        Tensor<Double>.manualSeed(42)
        let a = dropout(x, p: 0.5).scalars
        let b = dropout(x, p: 0.5).scalars
        Tensor<Double>.manualSeed(42)
        let c = dropout(x, p: 0.5).scalars
        XCTAssertEqual(a, c)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(Set(a), [0, 2])
    }

    func testNoDropoutReturnsTheInputItself() {
        let x = Tensor<Float>.ones([3], requiresGrad: true)
        XCTAssertTrue(dropout(x, p: 0, training: true) === x)
        XCTAssertTrue(dropout(x, p: 0.5, training: false) === x)
        let all = dropout(x, p: 1)
        XCTAssertEqual(all.scalars, [0, 0, 0])
        XCTAssertEqual(all.gradFn?.name, "MulBackward0")
        expectTrap("p", message: "dropout probability has to be between 0 and 1, but got 1.5") { _ = dropout(x, p: 1.5) }
    }

    func testDropoutAndFlattenLayersFollowTrainAndEval() {
        let drop = Dropout<Float>(p: 0.5), flatten = Flatten<Float>()
        let model = Sequential<Float>(flatten, drop)
        let x = Tensor<Float>.ones([2, 3, 4])
        XCTAssertEqual(model(x).shape, [2, 12])
        XCTAssertTrue(model(x).scalars.contains(0))
        model.eval()
        XCTAssertFalse(drop.isTraining)
        XCTAssertFalse(flatten.isTraining)
        let flat = flatten(x)
        XCTAssertEqual(model(x).scalars, flat.scalars)
        XCTAssertTrue(drop(flat) === flat)
        model.train()
        XCTAssertTrue(drop.isTraining)
        XCTAssertEqual(Flatten<Float>(startDim: 0, endDim: 1)(x).shape, [6, 4])
    }

    /// N(0, 1) initialization with the padding row zero; the padding row gets no gradient.
    func testEmbeddingLayer() throws {
        Tensor<Float>.manualSeed(0)
        let table = Embedding<Float>(numEmbeddings: 200, embeddingDim: 50, paddingIdx: -1)
        XCTAssertEqual(table.paddingIdx, 199)
        XCTAssertEqual(table.weight.shape, [200, 50])
        XCTAssertTrue(table.weight.requiresGrad)
        XCTAssertEqual(table.weight.select(dim: 0, index: 199).scalars, [Float](repeating: 0, count: 50))
        let values = table.weight.scalars.prefix(199 * 50).map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
        XCTAssertEqual(mean, 0, accuracy: 0.05)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
        let out = table(try Tensor<Int>([3, 199, 3], shape: [3]))
        XCTAssertEqual(out.gradFn?.name, "EmbeddingBackward0")
        try out.sum().backward()
        let grad = table.weight.grad!
        XCTAssertEqual(grad.select(dim: 0, index: 3).scalars, [Float](repeating: 2, count: 50))
        XCTAssertEqual(grad.select(dim: 0, index: 199).scalars, [Float](repeating: 0, count: 50))
        XCTAssertEqual(table.namedParameters.map(\.0), ["weight"])
    }

    func testLayerNormLayer() throws {
        let norm = LayerNorm<Double>(normalizedShape: [4])
        XCTAssertEqual(norm.namedParameters.map(\.0), ["weight", "bias"])
        XCTAssertEqual(norm.weight?.scalars, [1, 1, 1, 1])
        XCTAssertEqual(norm.bias?.scalars, [0, 0, 0, 0])
        let x = try Tensor<Double>([[1, 2, 3, 4], [2, 2, 2, 6]])
        let y = norm(x)
        XCTAssertEqual(y.gradFn?.name, "NativeLayerNormBackward0")
        // Row 0: mean 2.5, biased variance 1.25.
        let s = (1.25 + 1e-5).squareRoot()
        for (a, e) in zip(y.scalars.prefix(4), [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]) { XCTAssertEqual(a, e, accuracy: 1e-12) }
        XCTAssertTrue(LayerNorm<Float>(normalizedShape: [3], elementwiseAffine: false).namedParameters.isEmpty)
    }

    /// Training: batch statistics, running ones updated in place with the unbiased variance;
    /// `eval()` (through a `Sequential`): the running ones.
    func testBatchNormLayerTrainsRunningStatisticsAndUsesThemInEval() throws {
        let bn = BatchNorm1d<Double>(numFeatures: 2, momentum: 0.5)
        let model = Sequential<Double>(bn)
        let x = try Tensor<Double>([[1, 10], [3, 20], [5, 60]], requiresGrad: true)
        let y = model(x)
        XCTAssertEqual(y.gradFn?.name, "NativeBatchNormBackward0")
        XCTAssertEqual(bn.numBatchesTracked, 1)
        // Channel 0: mean 3, unbiased variance 4; channel 1: mean 30, unbiased variance 700.
        XCTAssertEqual(bn.runningMean!.scalars, [1.5, 15])
        XCTAssertEqual(bn.runningVar!.scalars, [2.5, 350.5])
        // PyTorch's buffers, num_batches_tracked included (a 0-d int64 tensor there, `Tensor<Int>` here).
        XCTAssertEqual(bn.namedBuffers.map(\.0), ["running_mean", "running_var", "num_batches_tracked"])
        XCTAssertEqual((bn.namedBuffers[2].1 as? Tensor<Int>)?.shape, [])
        XCTAssertEqual(model.namedBuffers.map(\.0), ["0.running_mean", "0.running_var", "0.num_batches_tracked"])
        let s = (8.0 / 3 + 1e-5).squareRoot()
        XCTAssertEqual(y.scalars[0], -2 / s, accuracy: 1e-12)
        model.eval()
        XCTAssertFalse(bn.isTraining)
        let z = model(x)
        XCTAssertEqual(bn.numBatchesTracked, 1)
        XCTAssertEqual(bn.runningMean!.scalars, [1.5, 15])
        XCTAssertEqual(z.scalars[0], (1 - 1.5) / (2.5 + 1e-5).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(z.gradFn?.name, "NativeBatchNormBackward0")
        expectTrap("rank1d", message: "expected 2D or 3D input (got 4D input)") { _ = bn(Tensor<Double>.ones([2, 2, 1, 1])) }
        expectTrap("rank2d", message: "expected 4D input (got 3D input)") {
            _ = BatchNorm2d<Double>(numFeatures: 2)(Tensor<Double>.ones([2, 2, 3]))
        }
    }

    /// A training batch norm writes its running statistics where they lie, as PyTorch's
    /// in-place update: a view of the buffer sees the new values, the buffer's version moves
    /// on, and a strided buffer (a column of a matrix) is updated through its strides.
    func testRunningStatisticsAreUpdatedInPlace() throws {
        let x = try Tensor<Double>([[1, 10], [3, 20], [5, 60]], requiresGrad: true)
        let storage = Tensor<Double>([0, 0, 1, 1])
        let mean = storage[0..<2], variance = storage[2..<4]   // contiguous views of one buffer
        let version = storage.version
        _ = batchNorm(x, runningMean: mean, runningVar: variance, training: true, momentum: 0.5)
        XCTAssertEqual(storage.scalars, [1.5, 15, 2.5, 350.5])
        XCTAssertGreaterThan(storage.version, version)

        let matrix = try Tensor<Double>([[0, 1], [0, 1]])
        let stridedMean = matrix.transposed()[0], stridedVar = matrix.transposed()[1]   // columns: stride 2
        _ = batchNorm(x, runningMean: stridedMean, runningVar: stridedVar, training: true, momentum: 0.5)
        XCTAssertEqual(matrix.scalars, [1.5, 2.5, 15, 350.5])
    }

    /// `sum()` hands the normalizations and the products an expanded gradient (stride 0): the
    /// gradients equal those from a row-major gradient of ones.
    func testExpandedGradientsGiveTheSameGradients() throws {
        var generator = RandomGenerator(seed: 5)
        let programs: [(String, [[Int]], ([Tensor<Double>]) -> Tensor<Double>)] = [
            ("layerNorm", [[3, 4], [4], [4]], { layerNorm($0[0], normalizedShape: [4], weight: $0[1], bias: $0[2]) }),
            ("batchNorm", [[3, 2, 2], [2], [2]], { batchNorm($0[0], runningMean: nil, runningVar: nil, weight: $0[1], bias: $0[2], training: true) }),
            ("matmul", [[2, 2, 3], [3, 2]], { $0[0].matmul($0[1]) }),
            ("bmm", [[2, 2, 3], [2, 3, 2]], { $0[0].bmm($0[1]) }),
            ("embedding", [[4, 3]], { embedding(try! Tensor<Int>([1, 1, 3], shape: [3]), weight: $0[0]) }),
        ]
        for (name, shapes, f) in programs {
            let values = shapes.map { Tensor<Double>.randn($0, using: &generator) }
            let a = values.map { Tensor(data: $0.data, requiresGrad: true) }
            try f(a).sum().backward()
            let b = values.map { Tensor(data: $0.data, requiresGrad: true) }
            let y = f(b)
            try y.backward(gradient: Tensor<Double>.ones(y.shape))
            for k in a.indices {
                XCTAssertEqual(a[k].grad!.scalars, b[k].grad!.scalars, "\(name): input \(k)")
            }
        }
    }


    /// A module of the user's own: `eval()`/`train()` reach the modules it holds, in properties,
    /// optionals, arrays, a `Sequential`, and a subclass's (BatchNorm1d's) stored properties.
    func testTrainAndEvalReachTheModulesAUserModuleHolds() {
        final class Net: Module {
            let norm = BatchNorm1d<Float>(numFeatures: 3)
            let block = Sequential<Float>(Linear(inFeatures: 3, outFeatures: 3), Dropout(p: 0.5))
            let heads: [any Module<Float>] = [Dropout<Float>(p: 0.1), LayerNorm<Float>(normalizedShape: [3])]
            let extra: Dropout<Float>? = Dropout(p: 0.2)
            var isTraining = true
            var namedParameters: [(String, Tensor<Float>)] { [] }
            func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> { block(norm(x)) }
        }
        let net = Net()
        func modes() -> [Bool] {
            [net.isTraining, net.norm.isTraining, net.block.isTraining, net.block.layers[1].isTraining]
                + net.heads.map(\.isTraining) + [net.extra!.isTraining]
        }
        net.eval()
        XCTAssertEqual(modes(), [Bool](repeating: false, count: 7))
        let x = Tensor<Float>.ones([4, 3])
        _ = net(x)
        XCTAssertEqual(net.norm.numBatchesTracked, 0)
        net.train()
        XCTAssertEqual(modes(), [Bool](repeating: true, count: 7))
        _ = net(x)
        XCTAssertEqual(net.norm.numBatchesTracked, 1)
        net.train(false)
        XCTAssertEqual(modes(), [Bool](repeating: false, count: 7))
    }

}
