import Foundation
import XCTest
import Arena
import Autograd
import _TestSupport

/// 100-step trajectories, learning-rate schedules and gradient clipping replayed against PyTorch:
/// `Tests/Fixtures/optim_trajectories.json`, written by
/// `Tests/Fixtures/make_optim_trajectories_fixture.py` (torch 2.11.0, `foreach=False`).
///
/// The trajectories train a float32 linear regression, `mseLoss(x.matmul(w.transposed()) + b, y)`,
/// with this library's forward, backward and optimizers; every recorded parameter (after steps 1,
/// 10, 50 and 100) must be within 1e-6 + 1e-6·|torch| of PyTorch's. Learning rates are Doubles
/// and must agree to 1e-12 relative.
final class OptimizerTrajectoryTests: XCTestCase {
    /// A JSON number, or one of the strings "nan", "inf", "-inf".
    struct Number: Decodable {
        let value: Double
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let d = try? c.decode(Double.self) { value = d; return }
            switch try c.decode(String.self) {
            case "nan": value = .nan
            case "inf": value = .infinity
            case "-inf": value = -.infinity
            case let s: throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a number: \(s)")
            }
        }
    }
    typealias Option = OptimizerOption
    struct Record: Decodable {
        let shape: [Int]
        let values: [Float]
        func tensor(requiresGrad: Bool = false) throws -> Tensor<Float> {
            try Tensor<Float>(values, shape: shape, requiresGrad: requiresGrad)
        }
    }
    struct Schedule: Decodable {
        let kind: String
        let options: [String: Option]
    }
    struct Trajectory: Decodable {
        let id: String
        let optimizer: String
        let options: [String: Option]
        let after: [String: [[Float]]]
        let schedule: Schedule?
        let lrs: [Double]?
    }
    struct ScheduleCase: Decodable {
        let id: String
        let lr: Double
        let kind: String
        let options: [String: Option]
        let lrs: [Double]
    }
    struct ClipCase: Decodable {
        let id: String
        let max_norm: Float
        let shapes: [[Int]]
        let grads: [[Number]?]
        let total_norm: Number
        let clipped: [[Number]?]
    }
    struct Fixture: Decodable {
        let x, y, w, b: Record
        let trajectories: [Trajectory]
        let schedules: [ScheduleCase]
        let clipping: [ClipCase]
    }

    private static let fixture: Fixture = {
        let url = Fixtures.url("optim_trajectories.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    private func number(_ options: [String: Option], _ key: String, _ id: String) -> Double {
        guard case .number(let v)? = options[key] else { XCTFail("\(id): option \(key) missing"); return .nan }
        return v
    }

    private func flag(_ options: [String: Option], _ key: String, _ id: String) -> Bool {
        guard case .flag(let v)? = options[key] else { XCTFail("\(id): option \(key) missing"); return false }
        return v
    }

    private func makeOptimizer(_ c: Trajectory, _ params: [Tensor<Float>]) -> any Optimizer<Float> {
        let o = c.options
        func n(_ key: String) -> Float { Float(number(o, key, c.id)) }
        func betas() -> (Float, Float) {
            guard case .pair(let b)? = o["betas"], b.count == 2 else { XCTFail("\(c.id): betas"); return (0.9, 0.999) }
            return (Float(b[0]), Float(b[1]))
        }
        switch c.optimizer {
        case "SGD":
            return SGD(params, lr: n("lr"), momentum: n("momentum"), dampening: n("dampening"),
                       weightDecay: n("weight_decay"), nesterov: flag(o, "nesterov", c.id))
        case "Adam":
            return Adam(params, lr: n("lr"), betas: betas(), eps: n("eps"), weightDecay: n("weight_decay"),
                        amsgrad: flag(o, "amsgrad", c.id))
        case "AdamW":
            return AdamW(params, lr: n("lr"), betas: betas(), eps: n("eps"), weightDecay: n("weight_decay"),
                         amsgrad: flag(o, "amsgrad", c.id))
        case "RMSprop":
            return RMSprop(params, lr: n("lr"), alpha: n("alpha"), eps: n("eps"), weightDecay: n("weight_decay"),
                           momentum: n("momentum"), centered: flag(o, "centered", c.id))
        default:
            XCTFail("\(c.id): unknown optimizer \(c.optimizer)")
            return SGD(params, lr: 0)
        }
    }

    private func makeSchedule(_ kind: String, _ options: [String: Option], _ optimizer: any Optimizer<Float>,
                              _ id: String) -> any LRScheduler<Float> {
        switch kind {
        case "StepLR":
            let gamma = options["gamma"] == nil ? nil : number(options, "gamma", id)
            let stepSize = Int(number(options, "step_size", id))
            return gamma.map { StepLR(optimizer, stepSize: stepSize, gamma: $0) } ?? StepLR(optimizer, stepSize: stepSize)
        default:
            XCTAssertEqual(kind, "CosineAnnealingLR", id)
            let tMax = Int(number(options, "T_max", id))
            return options["eta_min"] == nil ? CosineAnnealingLR(optimizer, tMax: tMax)
                : CosineAnnealingLR(optimizer, tMax: tMax, etaMin: number(options, "eta_min", id))
        }
    }

    private func closeLR(_ a: Double, _ e: Double) -> Bool { abs(a - e) <= 1e-12 * abs(e) }

    /// Every trajectory case: this library's loss, backward, optimizer and schedule against
    /// torch.optim's parameters after 1, 10, 50 and 100 steps.
    func testTrajectoriesMatchTorchOver100Steps() throws {
        let f = Self.fixture
        let x = try f.x.tensor(), y = try f.y.tensor()
        XCTAssertEqual(f.trajectories.count, 13)
        var worst: (error: Float, id: String) = (0, "")
        for c in f.trajectories {
            let w = try f.w.tensor(requiresGrad: true), b = try f.b.tensor(requiresGrad: true)
            let optimizer = makeOptimizer(c, [w, b])
            let schedule = c.schedule.map { makeSchedule($0.kind, $0.options, optimizer, c.id) }
            var lrs: [Double] = []
            for step in 1...100 {
                optimizer.zeroGrad()
                let loss = mseLoss(x.matmul(w.transposed()) + b, y)
                try loss.backward()
                optimizer.step()
                if let schedule {
                    schedule.step()
                    lrs.append(schedule.lastLR)
                    XCTAssertEqual(optimizer.lr, Float(schedule.lastLR), "\(c.id) step \(step): lr")
                }
                guard let expected = c.after[String(step)] else { continue }
                for (name, (p, e)) in zip(["w", "b"], zip([w, b], expected)) {
                    XCTAssertEqual(p.count, e.count, "\(c.id) \(name)")
                    for (i, (a, t)) in zip(p.scalars, e).enumerated() {
                        let error = abs(a - t)
                        XCTAssertLessThanOrEqual(error, 1e-6 + 1e-6 * abs(t),
                                                 "\(c.id) after \(step) steps: \(name)[\(i)] = \(a), torch \(t)")
                        if error / (1 + abs(t)) > worst.error { worst = (error / (1 + abs(t)), c.id) }
                    }
                }
            }
            if let expected = c.lrs {
                XCTAssertEqual(lrs.count, expected.count, c.id)
                for (k, (a, e)) in zip(lrs, expected).enumerated() {
                    XCTAssertTrue(closeLR(a, e), "\(c.id): lr after \(k + 1) scheduler steps = \(a), torch \(e)")
                }
            }
        }
        print("OptimizerTrajectoryTests: \(f.trajectories.count) trajectories, largest |Δ|/(1+|torch|) \(worst.error) (\(worst.id))")
    }

    /// StepLR and CosineAnnealingLR rates, from construction over three periods or more, against
    /// `get_last_lr()` to 1e-12 relative (in Double, as Python computes them).
    func testSchedulesMatchTorch() throws {
        var worst = 0.0
        for c in Self.fixture.schedules {
            let p = try Tensor<Double>([0], shape: [1], requiresGrad: true)
            let optimizer = SGD([p], lr: c.lr)
            let schedule = makeScheduleDouble(c, optimizer)
            var lrs = [schedule.lastLR]
            XCTAssertEqual(schedule.lastEpoch, 0)
            for _ in 1..<c.lrs.count {
                optimizer.step()
                schedule.step()
                lrs.append(schedule.lastLR)
                XCTAssertEqual(optimizer.lr, schedule.lastLR, c.id)
            }
            XCTAssertEqual(schedule.lastEpoch, c.lrs.count - 1)
            for (k, (a, e)) in zip(lrs, c.lrs).enumerated() {
                XCTAssertTrue(closeLR(a, e), "\(c.id): lr at epoch \(k) = \(a), torch \(e)")
                if e != 0 { worst = max(worst, abs(a - e) / abs(e)) }
            }
        }
        print("OptimizerTrajectoryTests: \(Self.fixture.schedules.count) schedules, largest relative difference \(worst)")
    }

    private func makeScheduleDouble(_ c: ScheduleCase, _ optimizer: SGD<Double>) -> any LRScheduler<Double> {
        switch c.kind {
        case "StepLR":
            let stepSize = Int(number(c.options, "step_size", c.id))
            return c.options["gamma"] == nil ? StepLR(optimizer, stepSize: stepSize)
                : StepLR(optimizer, stepSize: stepSize, gamma: number(c.options, "gamma", c.id))
        default:
            let tMax = Int(number(c.options, "T_max", c.id))
            return c.options["eta_min"] == nil ? CosineAnnealingLR(optimizer, tMax: tMax)
                : CosineAnnealingLR(optimizer, tMax: tMax, etaMin: number(c.options, "eta_min", c.id))
        }
    }

    /// A learning rate set by hand between steps is where the next step starts from, as PyTorch
    /// reads `group["lr"]`; a Float optimizer still gets PyTorch's Double sequence otherwise.
    func testScheduleTakesUpAnLRSetByHand() throws {
        let p = try Tensor<Float>([0], shape: [1], requiresGrad: true)
        let optimizer = SGD([p], lr: 0.1)
        let schedule = StepLR(optimizer, stepSize: 2, gamma: 0.5)
        XCTAssertEqual(schedule.lastLR, 0.1)   // the decimal written, not Double(Float(0.1))
        schedule.step()
        XCTAssertEqual(schedule.lastLR, 0.1)
        optimizer.lr = 0.4
        schedule.step()                        // epoch 2: 0.4 · 0.5
        XCTAssertEqual(schedule.lastLR, 0.2, accuracy: 1e-15)
        XCTAssertEqual(optimizer.lr, 0.2)
    }

    /// clipGradNorm against clip_grad_norm_: the total norm returned and every gradient after the
    /// call, over and under the limit, with a missing gradient, an infinite or NaN entry, and none.
    func testClipGradNormMatchesTorch() throws {
        for c in Self.fixture.clipping {
            let params = c.shapes.map { Tensor<Float>.zeros($0, requiresGrad: true) }
            for (p, g) in zip(params, c.grads) {
                p.grad = try g.map { try Tensor<Float>($0.map { Float($0.value) }, shape: p.shape) }
            }
            let before = params.map { $0.grad?.scalars }
            let total = clipGradNorm(params, maxNorm: c.max_norm)
            let expectedTotal = Float(c.total_norm.value)
            XCTAssertTrue(same(total, expectedTotal, tolerance: 1e-6), "\(c.id): total norm \(total), torch \(expectedTotal)")
            for (k, (p, e)) in zip(params, c.clipped).enumerated() {
                guard let e else { XCTAssertNil(p.grad, "\(c.id): grad \(k)"); continue }
                guard let g = p.grad else { XCTFail("\(c.id): grad \(k) is nil"); continue }
                for (i, (a, t)) in zip(g.scalars, e).enumerated() {
                    XCTAssertTrue(same(a, Float(t.value), tolerance: 1e-6), "\(c.id): grad \(k)[\(i)] = \(a), torch \(t.value)")
                }
            }
            if c.id == "under" {
                XCTAssertEqual(params.map { $0.grad?.scalars }, before, "under the limit: unchanged, bit for bit")
            }
        }
    }

    /// Invalid hyperparameters trap with torch.optim's ValueError messages, and schedules with a
    /// non-positive period trap.
    func testInvalidHyperparametersTrap() throws {
        let p = try Tensor<Float>([1], shape: [1], requiresGrad: true)
        expectTrap("rmspropLR", message: "Invalid learning rate: -0.1") { _ = RMSprop([p], lr: -0.1) }
        expectTrap("rmspropAlpha", message: "Invalid alpha value: -0.5") { _ = RMSprop([p], alpha: -0.5) }
        expectTrap("rmspropMomentum", message: "Invalid momentum value: -0.9") { _ = RMSprop([p], momentum: -0.9) }
        expectTrap("adamwBeta", message: "Invalid beta parameter at index 1: 1.0") { _ = AdamW([p], betas: (0.9, 1)) }
        expectTrap("adamwDecay", message: "Invalid weight_decay value: -0.01") { _ = AdamW([p], weightDecay: -0.01) }
        expectTrap("stepLR", message: "StepLR: step_size must be positive, got 0") { _ = StepLR(SGD([p], lr: 0.1), stepSize: 0) }
        expectTrap("cosine", message: "CosineAnnealingLR: T_max must be positive, got 0") {
            _ = CosineAnnealingLR(SGD([p], lr: 0.1), tMax: 0)
        }
    }

    /// After the first step (which makes the state buffers), `step()` of every optimizer, and a
    /// schedule's `step()`, make no allocation (jemalloc's count; skipped without it).
    ///
    /// Each `step()` is called on its concrete type, as the benchmarks call it (the `Float`
    /// specialization), and through `any Optimizer<Float>`, as the training demo calls it (the
    /// unspecialized generic code: Note [Index loops in step] in Optimizer.swift). In a debug
    /// build a loop over an array of objects mallocs per element, so a step may allocate as much
    /// as a bare loop over the parameters in this build does, and no more: 0 under `-O`.
    func testStepsAfterTheFirstDoNotAllocate() throws {
        guard Allocator.hasStatistics else { throw XCTSkip("needs the Jemalloc trait") }
        /// Allocations made by `body` run 10 times, less what reading the count costs.
        func allocations(_ body: () -> Void) -> Int {
            let idle = -Allocator.allocationCount + Allocator.allocationCount
            let before = Allocator.allocationCount
            for _ in 0..<10 { body() }
            return Swift.max(Allocator.allocationCount - before - idle, 0)
        }
        func parameters() throws -> [Tensor<Float>] {
            let w = try Tensor<Float>(Array(repeating: 1, count: 64), shape: [8, 8], requiresGrad: true)
            let b = try Tensor<Float>(Array(repeating: 1, count: 8), shape: [8], requiresGrad: true)
            w.grad = Tensor<Float>.zeros([8, 8]) + 0.5
            b.grad = Tensor<Float>.zeros([8]) - 0.25
            return [w, b]
        }
        let sgd = SGD(try parameters(), lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true)
        let adam = Adam(try parameters(), weightDecay: 0.1, amsgrad: true)
        let adamW = AdamW(try parameters())
        let rmsprop = RMSprop(try parameters(), weightDecay: 0.1, momentum: 0.9, centered: true)
        let steps: [(String, any Optimizer<Float>, () -> Void)] = [
            ("SGD", sgd, { sgd.step() }), ("Adam", adam, { adam.step() }),
            ("AdamW", adamW, { adamW.step() }), ("RMSprop", rmsprop, { rmsprop.step() }),
        ]
        for (name, optimizer, step) in steps {
            let schedule = CosineAnnealingLR(optimizer, tMax: 5)
            step()
            schedule.step()
            let parameters = optimizer.parameters
            let loop = allocations { for p in parameters { _ = p.grad } }
            XCTAssertLessThanOrEqual(allocations(step), loop,
                                     "\(name): allocations in 10 steps (a bare loop over the parameters: \(loop))")
            XCTAssertLessThanOrEqual(allocations { optimizer.step() }, loop,
                                     "\(name): allocations in 10 steps through any Optimizer<Float>")
            XCTAssertEqual(allocations { schedule.step() }, 0, "\(name): allocations in 10 schedule steps")
        }
    }

    private func same(_ a: Float, _ e: Float, tolerance: Float) -> Bool {
        if e.isNaN { return a.isNaN }
        if e.isInfinite { return a == e }
        return abs(a - e) <= tolerance * (1 + abs(e))
    }
}

/// A hyperparameter as the optim fixtures write it: a number, a flag, or a pair (`betas`).
/// Shared with OptimizerTests.
enum OptimizerOption: Decodable {
    case number(Double), flag(Bool), pair([Double])
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .flag(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else { self = .pair(try c.decode([Double].self)) }
    }
}
