import Foundation
import XCTest
import Autograd
import _TestSupport

/// Grad mode and the graph are per thread: independent models trained on several threads at
/// once give bit-identical results to the same runs one after another, and one thread's grad
/// mode or graph never shows on another. Run under ThreadSanitizer by scripts/ci-sanitizers.sh.
final class ThreadTests: XCTestCase {
    /// What a training run produced, compared bit for bit.
    struct Run: Sendable, Equatable {
        var losses: [UInt32]
        var parameters: [[UInt32]]
        var accuracy: Double
        var nodesLeft: Int
        var gradModeWasOn: Bool
    }

    /// Inputs shared, read-only, by every thread (a tensor that does not require grad).
    nonisolated(unsafe) static let shared: Tensor<Float> = {
        var generator = RandomGenerator(seed: 99)
        return Tensor<Float>.randn([48, 6], using: &generator)
    }()

    /// Trains a small MLP on synthetic data (a random linear teacher labels the shared inputs)
    /// with everything drawn from `seed`: its own generator for the data and the weights, and
    /// this thread's default generator (seeded here) for input noise. Odd seeds use SGD with
    /// momentum, even ones Adam.
    static func train(seed: UInt64, steps: Int = 30) -> Run {
        var generator = RandomGenerator(seed: seed)
        Tensor<Float>.manualSeed(seed)
        let x = shared
        let teacher = Tensor<Float>.randn([6, 3], using: &generator)
        let labels = withNoGrad { x.matmul(teacher) }.data.max(dim: 1, keepDim: false).indices
        let model = Sequential<Float>(
            Linear(inFeatures: 6, outFeatures: 16, using: &generator), Tanh(),
            Linear(inFeatures: 16, outFeatures: 16, using: &generator), ReLU(),
            Linear(inFeatures: 16, outFeatures: 3, using: &generator))
        let optimizer: any Optimizer<Float> = seed % 2 == 1
            ? SGD(model.parameters, lr: 0.1, momentum: 0.9)
            : Adam(model.parameters, lr: 0.01)
        var losses: [UInt32] = []
        for _ in 0..<steps {
            optimizer.zeroGrad()
            let noisy = x + Tensor<Float>.randn(x.shape) * 0.01
            let loss = crossEntropy(logits: model(noisy), targets: labels)
                + model.parameters.map { $0.pow(2).mean() }.reduce(Tensor<Float>(0), +) * 1e-3
            try! loss.backward()
            optimizer.step()
            losses.append(loss.scalar!.bitPattern)
        }
        let logits = withNoGrad { model(x) }
        return Run(
            losses: losses,
            parameters: model.parameters.map { $0.scalars.map(\.bitPattern) },
            accuracy: accuracy(logits: logits, labels: labels),
            nodesLeft: currentGraphStats().nodeCount,
            gradModeWasOn: GradMode.isEnabled)
    }

    func testConcurrentTrainingIsBitIdenticalToSequential() {
        let seeds: [UInt64] = [1, 2, 3, 4]
        _ = Self.shared
        let sequential = seeds.map { seed in TestThreads.run { Self.train(seed: seed) } }
        let onMainThread = Self.train(seed: seeds[0])
        XCTAssertEqual(onMainThread, sequential[0], "the thread a run is on does not matter")
        for round in 0..<3 {
            let concurrent = TestThreads.runConcurrently(seeds.map { seed in { Self.train(seed: seed) } })
            for (seed, (a, b)) in zip(seeds, zip(sequential, concurrent)) {
                XCTAssertEqual(a, b, "round \(round), seed \(seed): concurrent run differs from the sequential one")
            }
        }
        for (seed, run) in zip(seeds, sequential) {
            XCTAssertEqual(run.nodesLeft, 0, "seed \(seed): backward freed every graph")
            XCTAssertTrue(run.gradModeWasOn)
            XCTAssertGreaterThan(run.accuracy, 0.6, "seed \(seed): the model learned")
            XCTAssertLessThan(Float(bitPattern: run.losses.last!), Float(bitPattern: run.losses.first!))
        }
        XCTAssertNotEqual(sequential[0].losses, sequential[2].losses, "different seeds, different runs")
    }

    /// Kernels that split across cores (`Parallel`'s blocks, OpenBLAS's own threads), run from
    /// several threads at once: the same bits as one at a time. The split thresholds are
    /// lowered for the test, so that small tensors (fast under ThreadSanitizer) take those paths.
    func testSplitKernelsOnSeveralThreadsAtOnce() {
        let (minimum, threads, blasBelow) = (Parallel.minimumElements, Parallel.threads, BLASLibrary.singleThreadBelow)
        Parallel.minimumElements = 1024
        Parallel.threads = Swift.max(threads, 2)
        BLASLibrary.singleThreadBelow = 1 << 12
        defer {
            Parallel.minimumElements = minimum
            Parallel.threads = threads
            BLASLibrary.singleThreadBelow = blasBelow
        }
        @Sendable func work(_ seed: UInt64) -> [UInt32] {
            var generator = RandomGenerator(seed: seed)
            let count = 4096 + 1000
            let x = Tensor<Float>.randn([count], using: &generator, requiresGrad: true)
            let y = ((x * 0.5).tanh() * x + x.exp() / 4).relu()
            let m = Tensor<Float>.randn([40, 40], using: &generator, requiresGrad: true)
            let p = m.matmul(m.transposed()).softmax(dim: 1)
            let loss = y.sum() / Float(count) + (p * p).mean()
            try! loss.backward()
            return [loss.scalar!.bitPattern, x.grad!.sum().scalar!.bitPattern, m.grad!.sum().scalar!.bitPattern]
                + y.scalars.prefix(64).map(\.bitPattern) + x.grad!.scalars.suffix(64).map(\.bitPattern)
        }
        let seeds: [UInt64] = [11, 12, 13, 14]
        let sequential = seeds.map { seed in TestThreads.run { work(seed) } }
        let concurrent = TestThreads.runConcurrently(seeds.map { seed in { work(seed) } })
        XCTAssertEqual(sequential, concurrent)
    }

    /// `withNoGrad` on one thread does not stop another thread from recording, both ways, while
    /// both are inside their blocks at the same time.
    func testGradModeIsPerThread() {
        let inside = DispatchSemaphore(value: 0), checked = DispatchSemaphore(value: 0)
        let results = TestThreads.runConcurrently([
            { @Sendable () -> [Bool] in
                withNoGrad {
                    inside.signal()
                    checked.wait()                 // the other thread looks while we are in no-grad
                    let x = Tensor<Float>.ones([2], requiresGrad: true)
                    return [GradMode.isEnabled, (x * 2).gradFn != nil]
                } + [GradMode.isEnabled]
            },
            { @Sendable () -> [Bool] in
                inside.wait()
                let x = Tensor<Float>.ones([2], requiresGrad: true)
                let seen = [GradMode.isEnabled, (x * 2).gradFn != nil]
                let own = withNoGrad { [GradMode.isEnabled, (x * 2).gradFn != nil] }
                checked.signal()
                return seen + own
            },
        ])
        XCTAssertEqual(results[0], [false, false, true], "no-grad thread: off inside, restored after")
        XCTAssertEqual(results[1], [true, true, false, false], "other thread: on, then its own no-grad")

        // Switching grad mode off on this thread leaves a new thread's default alone.
        GradMode.isEnabled = false
        defer { GradMode.isEnabled = true }
        XCTAssertTrue(TestThreads.run { GradMode.isEnabled })
        XCTAssertFalse(GradMode.isEnabled)
    }

    /// Each thread sees only its own graph in `currentGraphStats()`.
    func testGraphStatsArePerThread() {
        let x = Tensor<Float>.ones([3], requiresGrad: true)
        let before = currentGraphStats().nodeCount
        let kept = (x * 2).exp()
        XCTAssertEqual(currentGraphStats().nodeCount, before + 2)
        let counts = TestThreads.runConcurrently((1...4).map { n in
            { @Sendable () -> [Int] in
                let y = Tensor<Double>.ones([2], requiresGrad: true)
                var z = y
                for _ in 0..<n { z = z * 2 }
                let recorded = currentGraphStats().nodeCount
                try! z.sum().backward()
                return [recorded, currentGraphStats().nodeCount]
            }
        })
        XCTAssertEqual(counts, [[1, 0], [2, 0], [3, 0], [4, 0]])
        XCTAssertEqual(currentGraphStats().nodeCount, before + 2, "other threads' graphs never show here")
        _ = kept
    }

    /// A result that outlives the thread that recorded it: its graph went with the thread, so a
    /// backward throws `graphFreed` (it used to crash on a nil graph), and dropping it is safe.
    func testResultOutlivingItsThread() {
        final class Box: @unchecked Sendable { var tensors: [Tensor<Float>] = [] }
        let box = Box()
        TestThreads.run {
            let x = Tensor<Float>([1, 2, 3], requiresGrad: true)
            box.tensors = [x, (x * x).sum(), x.exp()]
        }
        let (x, loss, other) = (box.tensors[0], box.tensors[1], box.tensors[2])
        box.tensors = []
        XCTAssertThrowsError(try loss.backward()) { XCTAssertEqual($0 as? AutogradError, .graphFreed) }
        XCTAssertNil(x.grad)
        XCTAssertEqual(other.scalars.count, 3, "the values are still there")
        XCTAssertEqual(loss.scalar, 14)
    }
    /// PyTorch's test: ten threads each compute `y = (x + 3) * (x + 4) * 0.5` from one shared leaf
    /// `x = ones(5, 5)` and backward `y.sum()`, each through its own graph; every contribution
    /// lands in `x.grad` (4.5 per thread, 45 in all). Once lost contributions (36, 13.5, …) and
    /// crashed with "Index out of range" (a leaf's cached slot, written by one thread, read by
    /// another as its own). Many rounds, so that the threads really overlap; under
    /// ThreadSanitizer in CI (scripts/ci-sanitizers.sh).
    func testThreadsBackwardIntoOneLeaf() {
        let rounds = 200, threads = 10
        var wrong: [String] = []
        for round in 0..<rounds {
            let x = Tensor<Float>.ones([5, 5], requiresGrad: true)
            let shared = UncheckedSendable(x)
            _ = TestThreads.runConcurrently((0..<threads).map { _ in
                { @Sendable () -> Bool in
                    let x = shared.value
                    let y = (x + 3) * (x + 4) * 0.5
                    try! y.sum().backward()
                    return true
                }
            })
            let grad = x.grad?.scalars ?? []
            if grad != Array(repeating: 45, count: 25) {
                wrong.append("round \(round): \(Set(grad).sorted())")
            }
        }
        XCTAssertEqual(wrong, [], "x.grad must be 45 everywhere after \(threads) threads' backward")
    }

    /// Two threads use one leaf in graphs of their own, and one thread uses it in two segments:
    /// each backward still reaches it exactly once per use.
    func testOneLeafInManyGraphs() {
        let x = Tensor<Double>([1, 2, 3], requiresGrad: true)
        let shared = UncheckedSendable(x)
        let seeds = TestThreads.runConcurrently((0..<4).map { n in
            { @Sendable () -> [Double] in
                let x = shared.value
                let first = (x * x).sum()          // d/dx = 2x
                let second = (x * Double(n)).sum() // d/dx = n, in a segment of its own
                try! second.backward()
                try! first.backward()
                return [Double(n)]
            }
        })
        XCTAssertEqual(seeds.count, 4)
        // Σ over n = 0...3 of (2x + n) = 8x + 6.
        XCTAssertEqual(x.grad?.scalars, [14, 22, 30])
    }
}

/// Hands a non-Sendable value to test threads that only read it (or, for a leaf, accumulate
/// into it, which the library makes safe).
private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
