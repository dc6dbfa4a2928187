import XCTest
import Autograd
import _TestSupport

/// Mini-batches of ``TensorDataset`` (tensor targets of any shape) and ``LabeledDataset`` (class
/// labels): every sample exactly once per epoch, whole samples kept together with their targets,
/// shapes, `dropLast`, and the same order for the same seed.
final class BatchingTests: XCTestCase {
    /// Sample `i` of the inputs is filled with `i` ([n, 2, 3]); its target is `[10·i, −i]` ([n, 2]).
    private func numbered(_ n: Int) throws -> TensorDataset<Float> {
        let inputs = try DenseTensor<Float>(scalars: (0..<n).flatMap { Array(repeating: Float($0), count: 6) }, shape: [n, 2, 3])
        let targets = try DenseTensor<Float>(scalars: (0..<n).flatMap { [Float(10 * $0), Float(-$0)] }, shape: [n, 2])
        return try TensorDataset(inputs: inputs, targets: targets)
    }

    /// The sample ids of a batch, checking that each input sample is whole and that its target
    /// is its own.
    private func ids(_ batch: TensorDataset<Float>.Batch, file: StaticString = #filePath, line: UInt = #line) -> [Int] {
        let x = batch.inputs.scalars, y = batch.targets.scalars
        return (0..<batch.inputs.shape[0]).map { r in
            let id = x[6 * r]
            XCTAssertEqual(Array(x[6 * r..<6 * r + 6]), Array(repeating: id, count: 6), "sample \(r) is whole", file: file, line: line)
            XCTAssertEqual(Array(y[2 * r..<2 * r + 2]), [10 * id, -id], "target of sample \(r)", file: file, line: line)
            return Int(id)
        }
    }

    func testEverySampleOncePerEpochWithItsTarget() throws {
        let data = try numbered(10)
        var rng = RandomGenerator(seed: 7)
        var orders: [[Int]] = []
        for _ in 0..<3 {
            let batches = data.batches(size: 4, shuffledWith: &rng)
            XCTAssertEqual(batches.map(\.inputs.shape), [[4, 2, 3], [4, 2, 3], [2, 2, 3]])
            XCTAssertEqual(batches.map(\.targets.shape), [[4, 2], [4, 2], [2, 2]])
            XCTAssertFalse(batches.contains { $0.inputs.requiresGrad || $0.targets.requiresGrad })
            let order = batches.flatMap { ids($0) }
            XCTAssertEqual(order.sorted(), Array(0..<10), "each sample exactly once")
            orders.append(order)
        }
        XCTAssertNotEqual(orders[0], orders[1], "a new permutation each epoch")
        XCTAssertNotEqual(orders[0], Array(0..<10))

        let inOrder = data.batches(size: 3)
        XCTAssertEqual(inOrder.flatMap { ids($0) }, Array(0..<10))
        XCTAssertEqual(inOrder.map { $0.inputs.shape[0] }, [3, 3, 3, 1])
    }

    func testSameSeedSameOrder() throws {
        let data = try numbered(17)
        func epochs(seed: UInt64) -> [[Int]] {
            var rng = RandomGenerator(seed: seed)
            return (0..<2).map { _ in data.batches(size: 5, shuffledWith: &rng).flatMap { ids($0) } }
        }
        XCTAssertEqual(epochs(seed: 3), epochs(seed: 3))
        XCTAssertNotEqual(epochs(seed: 3), epochs(seed: 4))
    }

    func testDropLast() throws {
        let data = try numbered(10)
        var rng = RandomGenerator(seed: 1)
        let batches = data.batches(size: 4, dropLast: true, shuffledWith: &rng)
        XCTAssertEqual(batches.map(\.inputs.shape), [[4, 2, 3], [4, 2, 3]])
        let seen = batches.flatMap { ids($0) }
        XCTAssertEqual(Set(seen).count, 8, "8 distinct samples, the last 2 of the permutation dropped")
        XCTAssertEqual(data.batches(size: 5, dropLast: true).count, 2, "no partial batch to drop")
        XCTAssertEqual(data.batches(size: 11, dropLast: true).count, 0)
        XCTAssertEqual(data.batches(size: 11).map { $0.inputs.shape[0] }, [10])
    }

    /// Batch counts around a multiple of the batch size (sizes 0, 1, 15, 16, 17, 33 against 16).
    func testBatchSamplerCounts() {
        for n in [0, 1, 15, 16, 17, 33] {
            for dropLast in [false, true] {
                var rng = RandomGenerator(seed: UInt64(n))
                let sampler = BatchSampler(count: n, batchSize: 16, dropLast: dropLast, shuffledWith: &rng)
                let batches = Array(sampler)
                XCTAssertEqual(batches.count, sampler.batchCount, "n \(n) dropLast \(dropLast)")
                XCTAssertEqual(batches.count, dropLast ? n / 16 : (n + 15) / 16, "n \(n) dropLast \(dropLast)")
                XCTAssertTrue(batches.allSatisfy { dropLast ? $0.count == 16 : (1...16).contains($0.count) })
                let all = batches.flatMap { $0 }
                XCTAssertEqual(Set(all).count, all.count, "no index twice")
                XCTAssertEqual(all.count, dropLast ? n / 16 * 16 : n)
                XCTAssertTrue(all.allSatisfy { (0..<n).contains($0) })
            }
        }
        XCTAssertEqual(Array(BatchSampler(count: 5, batchSize: 2)).map(Array.init), [[0, 1], [2, 3], [4]])
    }

    /// 1-D targets ([N]) and 1-D inputs work as well: a sample is one element.
    func testOneDimensionalTensors() throws {
        let data = try TensorDataset(inputs: try DenseTensor<Double>(scalars: [0, 1, 2, 3, 4], shape: [5]),
                                     targets: try DenseTensor<Double>(scalars: [0, 2, 4, 6, 8], shape: [5]))
        var rng = RandomGenerator(seed: 2)
        for batch in data.batches(size: 2, shuffledWith: &rng) {
            XCTAssertEqual(batch.inputs.rank, 1)
            XCTAssertEqual(batch.targets.scalars, batch.inputs.scalars.map { 2 * $0 })
        }
        XCTAssertEqual(data.subset([4, 0]).targets.scalars, [8, 0])
    }

    func testShapeErrors() throws {
        let three = try DenseTensor<Float>(scalars: [1, 2, 3], shape: [3])
        let two = try DenseTensor<Float>(scalars: [1, 2, 3, 4], shape: [2, 2])
        XCTAssertThrowsError(try TensorDataset(inputs: three, targets: two)) {
            XCTAssertEqual($0 as? DatasetError, .sampleCountMismatch(inputs: 3, targets: 2))
            XCTAssertEqual(($0 as? DatasetError)?.description, "3 input samples but 2 targets")
        }
        XCTAssertThrowsError(try TensorDataset(inputs: DenseTensor<Float>(shape: [], repeating: 1), targets: three)) {
            XCTAssertEqual($0 as? DatasetError, .noSampleDimension)
        }
        expectTrap("batchSize", message: "batch_size should be a positive integer value, but got batch_size=0") {
            _ = BatchSampler(count: 3, batchSize: 0)
        }
    }

    /// LabeledDataset batches the same way: labels stay with their rows, `dropLast` drops the
    /// partial batch, and the same seed gives the same order.
    func testLabeledDatasetDropLastAndSeed() throws {
        let features = try DenseTensor<Float>(scalars: (0..<7).flatMap { [Float($0), Float($0)] }, shape: [7, 2])
        let data = try LabeledDataset(features: features, labels: Array(0..<7))
        func epoch(_ seed: UInt64, dropLast: Bool) -> [LabeledDataset<Float>.Batch] {
            var rng = RandomGenerator(seed: seed)
            return data.batches(size: 3, dropLast: dropLast, shuffledWith: &rng)
        }
        let full = epoch(9, dropLast: false), dropped = epoch(9, dropLast: true)
        XCTAssertEqual(full.map(\.labels.count), [3, 3, 1])
        XCTAssertEqual(dropped.map(\.labels), Array(full.prefix(2)).map(\.labels))
        XCTAssertEqual(full.flatMap(\.labels).sorted(), Array(0..<7))
        for batch in full {
            XCTAssertEqual(batch.features.scalars, batch.labels.flatMap { [Float($0), Float($0)] })
        }
        XCTAssertEqual(epoch(9, dropLast: false).map(\.labels), full.map(\.labels))
    }

    /// End to end: a linear regression trained from shuffled mini-batches with SGD and a StepLR
    /// schedule fits its data.
    func testRegressionTrainsFromBatches() throws {
        var rng = RandomGenerator(seed: 11)
        let x = DenseTensor<Float>.randn([64, 3], using: &rng)
        let trueWeight = try Tensor<Float>([1.5, -2, 0.5], shape: [3, 1])
        let y = (Tensor(data: x).matmul(trueWeight) + 0.25).data   // [64, 1]
        let data = try TensorDataset(inputs: x, targets: y)
        let model = Linear<Float>(inFeatures: 3, outFeatures: 1, using: &rng)
        let optimizer = SGD(model.parameters, lr: 0.1, momentum: 0.5)
        let schedule = StepLR(optimizer, stepSize: 10, gamma: 0.5)
        var last = Float.infinity
        for _ in 0..<30 {
            var total: Float = 0
            for batch in data.batches(size: 16, shuffledWith: &rng) {
                optimizer.zeroGrad()
                let loss = mseLoss(model(batch.inputs), batch.targets)
                try loss.backward()
                optimizer.step()
                total += loss.scalar!
            }
            schedule.step()
            last = total / 4
        }
        XCTAssertLessThan(last, 1e-4)
        XCTAssertEqual(optimizer.lr, 0.0125)
    }
}
