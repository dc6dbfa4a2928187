import Foundation
import XCTest
import Autograd
import _TestSupport

/// Depth and size: very long chains backward without recursion, graphs spanning many arena
/// chunks, zero-size dimensions as PyTorch treats them, and sizes too large to allocate.
final class SizeTests: XCTestCase {
    static var isDebugBuild: Bool {
        #if DEBUG
        return true
        #else
        return false
        #endif
    }

    /// The chain length: 1,000,000 ops in release builds or with `DEPTH_TEST=1`; 100,000 in a
    /// plain debug build, where a million takes several seconds more than the rest of the suite.
    static var chainLength: Int {
        !isDebugBuild || ProcessInfo.processInfo.environment["DEPTH_TEST"] == "1" ? 1_000_000 : 100_000
    }

    /// A chain of scalar ops, backward on a thread with a 256 KiB stack: a sweep (or a free, or
    /// a deinit) that recursed per node would overflow it thousands of times over.
    func testLongChainBackwardDoesNotRecurse() {
        let length = Self.chainLength
        let result = TestThreads.run(stackSize: 256 << 10) { () -> (grad: Double?, nodes: Int, reserved: Int, after: GraphStats, seconds: Double) in
            let start = DispatchTime.now().uptimeNanoseconds
            let x = Tensor<Double>(0.5, requiresGrad: true)
            var y = x
            for i in 0..<length {
                y = i % 2 == 0 ? y * 1.000001 : y + 0.001   // dy/dx = 1.000001^(length/2)
            }
            let recorded = currentGraphStats()
            do { try y.backward() } catch { return (nil, 0, 0, recorded, 0) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            return (x.grad?.scalar, recorded.nodeCount, recorded.bytesReserved, currentGraphStats(), seconds)
        }
        print("chain of \(length) ops: forward + backward in \(String(format: "%.2f", result.seconds)) s, arena \(result.reserved >> 20) MiB")
        XCTAssertEqual(result.nodes, length)
        let expected = Foundation.pow(1.000001, Double(length / 2))
        let grad = try? XCTUnwrap(result.grad)
        XCTAssertEqual(grad ?? 0, expected, accuracy: expected * 1e-9)
        XCTAssertEqual(result.after.nodeCount, 0, "backward freed the graph")
        XCTAssertEqual(result.after.bytesInUse, 0)
    }

    /// A long chain whose tensors are all dropped without a backward: freeing the graph must not
    /// recurse either.
    func testLongChainFreedWithoutBackward() {
        let length = Self.chainLength / 4
        let stats = TestThreads.run(stackSize: 256 << 10) { () -> GraphStats in
            do {
                let x = Tensor<Float>.ones([2], requiresGrad: true)
                var y = x.tanh()
                for _ in 0..<length { y = y * 0.5 + 0.5 }
                _ = y
            }
            return currentGraphStats()
        }
        XCTAssertEqual(stats.nodeCount, 0)
        XCTAssertEqual(stats.bytesInUse, 0)
        XCTAssertGreaterThan(stats.resetCount, 0)
    }

    /// A graph of 20,000 nodes spans dozens of 16 KiB chunks; its gradient is right, backward
    /// frees it and keeps the chunks, and the next graph of the same size reuses them all.
    func testGraphSpanningManyArenaChunks() {
        let result = TestThreads.run { () -> [GraphStats] in
            var snapshots: [GraphStats] = []
            for _ in 0..<2 {
                let x = Tensor<Float>([1, 2, 3], requiresGrad: true)
                var y = x
                for _ in 0..<10_000 { y = (y * 1.0 + 0.0) }
                let loss = (y * y).sum()
                snapshots.append(currentGraphStats())
                try! loss.backward()
                XCTAssertEqual(x.grad?.scalars, [2, 4, 6])
                snapshots.append(currentGraphStats())
            }
            return snapshots
        }
        let (recorded, freed, again, freedAgain) = (result[0], result[1], result[2], result[3])
        let chunk = 16 * 1024
        XCTAssertGreaterThan(recorded.bytesReserved, 32 * chunk, "\(recorded)")
        XCTAssertGreaterThanOrEqual(recorded.bytesReserved, recorded.bytesInUse)
        XCTAssertEqual(recorded.nodeCount, 20_002)
        XCTAssertEqual(freed.nodeCount, 0)
        XCTAssertEqual(freed.bytesInUse, 0)
        XCTAssertEqual(freed.bytesReserved, recorded.bytesReserved, "chunks are kept")
        XCTAssertEqual(again.bytesReserved, recorded.bytesReserved, "the second graph reuses every chunk")
        XCTAssertEqual(again.nodeCount, recorded.nodeCount)
        XCTAssertEqual(freedAgain.bytesInUse, 0)
    }

    // MARK: - Zero-size dimensions (as PyTorch)

    func testReductionsOfEmptyTensors() {
        let x = Tensor<Float>.zeros([0, 3])
        XCTAssertEqual(x.sum().shape, [])
        XCTAssertEqual(x.sum().scalar, 0, "sum of nothing is 0")
        XCTAssertTrue(x.mean().scalar!.isNaN, "mean of nothing is nan")
        XCTAssertEqual(x.sum(dim: 0).scalars, [0, 0, 0])
        XCTAssertEqual(x.sum(dim: 1).shape, [0])
        XCTAssertEqual(x.sum(dim: 1, keepDim: true).shape, [0, 1])
        XCTAssertEqual(x.mean(dim: 0).shape, [3])
        XCTAssertTrue(x.mean(dim: 0).scalars.allSatisfy(\.isNaN))
        XCTAssertEqual(x.mean(dim: -1).shape, [0])
        XCTAssertEqual(x.max(dim: 1).shape, [0], "max over a non-empty dim of an empty tensor is empty")
        XCTAssertEqual(Tensor<Double>.zeros([2, 0]).max(dim: 0, keepDim: true).shape, [1, 0])
        XCTAssertEqual(Tensor<Float>.zeros([0]).sum().scalar, 0)
        // max() of an empty tensor traps: PreconditionTests.testMaxOfAnEmptyTensorTraps.
    }

    func testElementwiseOpsOnEmptyTensorsKeepTheirShape() {
        let x = Tensor<Float>.zeros([0, 3])
        let results: [(String, Tensor<Float>)] = [
            ("+[3]", x + Tensor<Float>.ones([3])), ("*[1,3]", x * Tensor<Float>.ones([1, 3])),
            ("-[0,1]", x - Tensor<Float>.ones([0, 1])), ("/0-d", x / Tensor<Float>(2)), ("+s", x + 1), ("s/", 1 / x),
            ("neg", -x), ("pow", x.pow(3)), ("exp", x.exp()), ("log", x.log()), ("sqrt", x.sqrt()), ("abs", x.abs()),
            ("relu", x.relu()), ("sigmoid", x.sigmoid()), ("tanh", x.tanh()), ("softmax", x.softmax(dim: 1)),
            ("logSoftmax", x.logSoftmax(dim: 0)), ("expand", Tensor<Float>.ones([1, 3]).expanded(to: [0, 3])),
            ("transpose²", x.transposed().transposed()), ("reshape", x.reshaped([0, 3])),
        ]
        for (name, y) in results {
            XCTAssertEqual(y.shape, [0, 3], name)
            XCTAssertEqual(y.count, 0, name)
        }
        XCTAssertEqual(x.transposed().shape, [3, 0])
        XCTAssertEqual(x.unsqueezed(dim: 1).shape, [0, 1, 3])
        XCTAssertEqual(x.matmul(Tensor<Float>.ones([3, 2])).shape, [0, 2])
        let inner = Tensor<Float>.ones([2, 0]).matmul(Tensor<Float>.ones([0, 3]))
        XCTAssertEqual(inner.shape, [2, 3])
        XCTAssertEqual(inner.scalars, [0, 0, 0, 0, 0, 0], "a product over an empty inner dim is zeros")
        XCTAssertEqual(Tensor<Float>.ones([2, 0]).matmul(Tensor<Float>.ones([0])).scalars, [0, 0])
        XCTAssertEqual("\(x)", "tensor([], size=(0, 3))")
    }

    func testBackwardThroughEmptyTensors() throws {
        let x = Tensor<Double>.zeros([0, 3], requiresGrad: true)
        let b = Tensor<Double>([1, 2, 3], requiresGrad: true)
        let loss = ((x * b).exp() + b).sum() + x.mean(dim: 0).sum() * 0
        try loss.backward()
        XCTAssertEqual(x.grad?.shape, [0, 3])
        XCTAssertEqual(b.grad?.scalars, [0, 0, 0], "b meets no element")

        let logits = Tensor<Float>.zeros([0, 4], requiresGrad: true)
        let ce = crossEntropy(logits: logits, targets: [])
        XCTAssertTrue(ce.scalar!.isNaN, "PyTorch's mean over an empty batch is nan")
        try ce.backward()
        XCTAssertEqual(logits.grad?.shape, [0, 4])

        let w = Tensor<Float>.ones([2, 3], requiresGrad: true)
        let bias = Tensor<Float>.ones([2], requiresGrad: true)
        let batch = Tensor<Float>.zeros([0, 3], requiresGrad: true)
        try linear(batch, weight: w, bias: bias).sum().backward()
        XCTAssertEqual(w.grad?.scalars, [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(bias.grad?.scalars, [0, 0])
        XCTAssertEqual(batch.grad?.shape, [0, 3])

        let a = Tensor<Float>.ones([2, 0], requiresGrad: true), c = Tensor<Float>.ones([0, 3], requiresGrad: true)
        try a.matmul(c).sum().backward()
        XCTAssertEqual(a.grad?.shape, [2, 0])
        XCTAssertEqual(c.grad?.shape, [0, 3])

        let m = Tensor<Float>.zeros([0], requiresGrad: true)
        let mse = mseLoss(m, Tensor<Float>.zeros([0]))
        XCTAssertTrue(mse.scalar!.isNaN)
        try mse.backward()
        XCTAssertEqual(m.grad?.shape, [0])
    }

    /// Empty tensors with huge other sizes (valid shapes from outside data) reduce in no time:
    /// the kernels used to walk the huge dims of an empty result (2^62 iterations).
    func testReducingHugeEmptyTensorsFinishes() throws {
        let start = Date()
        let a = try Tensor<Float>([], shape: [1 << 62, 0], requiresGrad: true)
        XCTAssertEqual(a.sum(dim: 0).shape, [0])
        XCTAssertEqual(a.mean(dim: 0, keepDim: true).shape, [1, 0])
        let b = try Tensor<Double>([], shape: [1 << 40, 2, 0], requiresGrad: true)
        let m = b.max(dim: 1)
        XCTAssertEqual(m.shape, [1 << 40, 0])
        try m.sum().backward()                       // the scatter of max's backward
        XCTAssertEqual(b.grad?.shape, [1 << 40, 2, 0])
        try a.sum(dim: 0).sum().backward()
        XCTAssertEqual(a.grad?.shape, [1 << 62, 0])
        let c = try Tensor<Float>([], shape: [0, 1 << 62, 1 << 62])
        XCTAssertEqual(c.transposed(0, 2).shape, [1 << 62, 1 << 62, 0], "an empty shape whose other sizes overflow")
        XCTAssertEqual(c.sum(dim: 2).shape, [0, 1 << 62])
        // Found by InputFuzzer: the split around a dim multiplied the other sizes (overflow trap).
        let d = try Tensor<Double>([], shape: [0, 1 << 62, 38], requiresGrad: true)
        XCTAssertEqual(d.logSoftmax(dim: 0).shape, [0, 1 << 62, 38])
        XCTAssertEqual(d.softmax(dim: -1).shape, [0, 1 << 62, 38])
        XCTAssertEqual(d.max(dim: 1).shape, [0, 38])
        XCTAssertEqual(d.transposed(0, 2).sum(dim: 0).shape, [1 << 62, 0])
        try (d.softmax(dim: 1).sum() + d.max(dim: 2, keepDim: true).sum()).backward()
        XCTAssertEqual(d.grad?.shape, [0, 1 << 62, 38])
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    // MARK: - Sizes beyond memory

    /// `[2^62 + 1, 0]` is a valid empty shape; summing away its zero-size dim asks for 2^62 + 1
    /// scalars. That used to wrap the byte count to 4 bytes and write past the buffer; it must
    /// trap before writing anything.
    func testAnAllocationWhoseByteCountOverflowsTraps() {
        expectTrap("sum", message: "can't allocate memory") {
            _ = Tensor<Float>.zeros([(1 << 62) + 1, 0]).sum(dim: 1)
        }
        expectTrap("double", message: "can't allocate memory") {
            _ = Tensor<Double>.zeros([0, 1 << 61]).sum(dim: 0, keepDim: true)
        }
        // A count that overflows Int itself: it used to wrap to 0 and give a tensor whose
        // storage is smaller than its shape.
        expectTrap("countOverflow", message: "can't allocate memory: a tensor of shape [4611686018427387904, 4611686018427387904] has too many elements") {
            _ = Tensor<Float>.zeros([0, 1 << 62, 1 << 62]).sum(dim: 0)
        }
    }
}
