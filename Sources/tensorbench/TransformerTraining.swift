import ArgumentParser
import Autograd
import Foundation

/// `tensorbench train --model transformer`: the character-level language model on Data/words.txt
/// with AdamW, cosine annealing to a tenth of the rate and gradient norm clipping at 1, the loop
/// of perf/train_transformer_torch.py (same batches for the same seed; with `--init-from` its
/// initial weights, so both run step for step).
struct TransformerTraining {
    var steps: Int
    var batchSize: Int
    var lr: Float
    var seed: UInt64
    var logEvery: Int
    var initFrom: String?
    var save: String?
    var losses: String?
    var quiet: Bool

    func run() throws {
        let words = try WordsData(file: WordsData.defaultFile())
        let trainer = try TransformerTrainer(words: words, steps: steps, batchSize: batchSize, lr: lr, seed: seed,
                                             initFrom: initFrom.map { URL(fileURLWithPath: $0) })
        let model = trainer.model
        if !quiet {
            print("words: \(words.train.count) training / \(words.validation.count) validation characters, "
                  + "vocabulary \(words.vocabulary.count); transformer width 64, 4 heads, 2 blocks, context 32, "
                  + "\(counted(model.parameters.reduce(0) { $0 + $1.count }, "parameter"))"
                  + (initFrom.map { "; initial weights from \($0)" } ?? ""))
            print("adamw lr \(lr), cosine to \(lr / 10) over \(counted(steps, "step")), clip 1.0, batch \(batchSize), seed \(seed)")
        }
        let clock = ContinuousClock()
        var training = Duration.zero
        var stepLosses: [Float] = []
        stepLosses.reserveCapacity(steps)
        var stepTimes: [Duration] = []
        stepTimes.reserveCapacity(steps)
        for step in 1...max(steps, 1) where steps > 0 {
            let batch = trainer.nextBatch()
            let start = clock.now
            let value = try trainer.step(batch)
            stepTimes.append(clock.now - start)
            training += stepTimes[stepTimes.count - 1]
            stepLosses.append(value)
            if !quiet && (step % logEvery == 0 || step == 1) {
                print(String(format: "step %5d/%d  loss %.4f  lr %.2e", step, steps, value, trainer.schedule.lastLR))
            }
        }
        let validation = trainer.validationLoss()
        let ms = milliseconds(training)
        let median = stepTimes.isEmpty ? 0 : milliseconds(stepTimes.sorted()[stepTimes.count / 2]) * 1000
        print(String(format: "validation loss %.4f, training %.1f ms (%.1f µs/step, %@; median step %.1f µs)",
                     validation, ms, ms * 1000 / Double(max(steps, 1)), counted(steps, "step"), median))
        if let save {
            try saveSafetensors(model.namedParameters, to: URL(fileURLWithPath: save))
            if !quiet { print("saved \(save)") }
        }
        if let losses {
            let json: [String: Any] = ["losses": stepLosses.map { "\($0)" }, "validation": "\(validation)"]
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: losses))
        }
    }
}

/// The model, its optimizer and schedule, and the batch generator: one step at a time (the
/// tests run it too).
final class TransformerTrainer {
    let words: WordsData
    let model: CharTransformer
    let optimizer: AdamW<Float>
    let schedule: CosineAnnealingLR<Float>
    let batchSize: Int
    var generator: RandomGenerator

    /// The initial weights are this thread's generator's after `manualSeed(seed)`, or `initFrom`'s.
    init(words: WordsData, steps: Int, batchSize: Int, lr: Float, seed: UInt64, initFrom: URL?) throws {
        self.words = words
        Tensor<Float>.manualSeed(seed)
        model = CharTransformer(vocabulary: words.vocabulary.count)
        if let initFrom { try loadSafetensors(into: model.namedParameters, from: initFrom) }
        optimizer = AdamW(model.parameters, lr: lr)
        schedule = CosineAnnealingLR(optimizer, tMax: steps, etaMin: Double(lr) / 10)
        self.batchSize = batchSize
        generator = RandomGenerator(seed: seed)
    }

    func nextBatch() -> (inputs: Tensor<Int>, targets: Tensor<Int>) {
        words.batch(size: batchSize, context: model.context, using: &generator)
    }

    /// One optimizer step on `batch`; the loss before it.
    func step(_ batch: (inputs: Tensor<Int>, targets: Tensor<Int>)) throws -> Float {
        optimizer.zeroGrad()
        let logits = model(batch.inputs)
        let loss = crossEntropy(logits: logits.reshaped([-1, logits.shape[2]]), targets: batch.targets.reshaped([-1]))
        try loss.backward()
        clipGradNorm(model.parameters, maxNorm: 1)
        optimizer.step()
        schedule.step()
        return loss.scalar!
    }

    /// The mean cross-entropy over every non-overlapping window of the validation stream.
    func validationLoss() -> Float {
        let (x, y) = words.validationWindows(context: model.context)
        let n = x.shape[0]
        var total: Double = 0
        withNoGrad {
            for start in stride(from: 0, to: n, by: 512) {
                let rows = start..<min(start + 512, n)
                let logits = model(x[rows])
                let loss = crossEntropy(logits: logits.reshaped([-1, logits.shape[2]]), targets: y[rows].reshaped([-1]))
                total += Double(loss.scalar!) * Double(rows.count * model.context)
            }
        }
        return Float(total / Double(n * model.context))
    }
}
