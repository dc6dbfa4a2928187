import ArgumentParser
import Autograd
import Foundation

/// `tensorbench train`: trains an MLP or a small CNN on the bundled digits data and reports
/// accuracy and time (perf/train_torch.py is PyTorch's run of the same).
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a 64-hidden-10 ReLU MLP (default) or a CNN on the digits data set (8x8 images, 10 classes).")

    enum OptimizerKind: String, ExpressibleByArgument, CaseIterable { case sgd, adam, adamw, rmsprop }
    enum ModelKind: String, ExpressibleByArgument, CaseIterable { case mlp, cnn, transformer }

    @Option(help: """
        mlp (64-hidden-10, ReLU), cnn (conv 1→16 3×3, ReLU, max-pool 2, conv 16→32, ReLU, max-pool 2, linear 128→10), \
        or transformer (a character-level language model on Data/words.txt: width 64, 4 heads, 2 blocks, context 32).
        """)
    var model: ModelKind = .mlp
    @Option(help: "Passes over the training set (default: 20 for mlp, 30 for cnn).") var epochs: Int?
    @Option(help: "Rows per mini-batch (default: 64; 32 windows for the transformer).") var batchSize: Int?
    @Option(help: "Learning rate (default: 0.1 for sgd, 0.001 for adam and adamw (0.002 for the cnn with adam), 0.01 for rmsprop).") var lr: Float?
    @Option(help: "sgd, adam, adamw or rmsprop (default: sgd for mlp, adam for cnn).") var optimizer: OptimizerKind?
    @Option(help: "Momentum (sgd and rmsprop).") var momentum: Float = 0
    @Option(help: "Hidden layer width.") var hidden = 128
    @Option(help: "Seed for initialization and shuffling.") var seed: UInt64 = 0
    @Option(help: "Folder holding digits.csv and digits-split.txt.") var data: String?
    @Option(help: "Optimizer steps (transformer; default 2000).") var steps = 2000
    @Option(help: "Print the loss every this many steps (transformer).") var logEvery = 100
    @Option(help: "Initial weights from this safetensors file (transformer; e.g. perf/train_transformer_torch.py --save-init).")
    var initFrom: String?
    @Option(help: "Save the trained weights to this safetensors file (transformer; `tensorbench sample` reads it).")
    var save: String?
    @Option(help: "Write every step's loss and the validation loss to this JSON file (transformer).") var losses: String?
    @Option(help: "Threads the library may use (default: every core), as `bench --threads`.") var threads: Int?
    @Flag(help: "Print only the final line.") var quiet = false

    func validate() throws {
        guard (threads ?? 1) >= 1, (epochs ?? 0) >= 0, (batchSize ?? 1) > 0, hidden > 0, steps >= 0, logEvery > 0 else {
            throw ValidationError("epochs and steps must be >= 0, batch size, hidden width and log interval > 0")
        }
        if model == .transformer, let optimizer, optimizer != .adamw {
            throw ValidationError("the transformer trains with adamw")
        }
    }

    func run() throws {
        if let threads { applyThreadSetting(threads) }
        if model == .transformer {
            try TransformerTraining(steps: steps, batchSize: batchSize ?? 32, lr: lr ?? 3e-3, seed: seed, logEvery: logEvery,
                                    initFrom: initFrom, save: save, losses: losses, quiet: quiet).run()
            return
        }
        let batchSize = batchSize ?? 64
        let directory = data.map { URL(fileURLWithPath: $0) } ?? DigitsData.defaultDirectory()
        let digits = try DigitsData(directory: directory)
        var rng = RandomGenerator(seed: seed)
        let epochs = epochs ?? (model == .mlp ? 20 : 30)
        let optimizer = optimizer ?? (model == .mlp ? .sgd : .adam)
        let network: any Module<Float> = model == .cnn
            ? DigitsCNN(using: &rng)
            : Sequential<Float>(
                Linear(inFeatures: digits.train.featureCount, outFeatures: hidden, using: &rng),
                ReLU(),
                Linear(inFeatures: hidden, outFeatures: 10, using: &rng))
        let learningRate = lr ?? (model == .cnn && optimizer == .adam ? 0.002 : [.sgd: 0.1, .rmsprop: 0.01][optimizer, default: 0.001])
        let opt: any Optimizer<Float> = switch optimizer {
        case .sgd: SGD(network.parameters, lr: learningRate, momentum: momentum)
        case .adam: Adam(network.parameters, lr: learningRate)
        case .adamw: AdamW(network.parameters, lr: learningRate)
        case .rmsprop: RMSprop(network.parameters, lr: learningRate, momentum: momentum)
        }
        if !quiet {
            let description = model == .mlp ? "MLP \(digits.train.featureCount)-\(hidden)-10" : "CNN conv 1→16→32 3×3, max-pool 2, linear 128→10"
            print("digits: \(digits.train.count) train / \(digits.test.count) test rows; \(description), \(counted(network.parameterCount, "parameter"))")
            print("BLAS: OpenBLAS \(BLASLibrary.coreName) kernels\(BLASLibrary.chosenCoreType != nil ? " (chosen for this CPU)" : ""), up to \(counted(BLASLibrary.maxThreads, "thread"))"
                  + (SGemmKernel.isEnabled ? "; the library's own AVX-512 sgemm for mid-size products" : ""))
            print("\(optimizer.rawValue) lr \(learningRate)\(momentum != 0 ? " momentum \(momentum)" : ""), batch \(batchSize), \(counted(epochs, "epoch")), seed \(seed)")
        }

        let clock = ContinuousClock()
        var trainingTime = Duration.zero
        var steps = 0
        var lastLoss: Float = .nan
        for epoch in 1...max(epochs, 1) where epochs > 0 {
            let start = clock.now
            var lossSum: Float = 0
            let batches = digits.train.batches(size: batchSize, shuffledWith: &rng)
            for batch in batches {
                opt.zeroGrad()
                let loss = crossEntropy(logits: network(batch.features), targets: batch.labels)
                try loss.backward()
                opt.step()
                lossSum += loss.scalar! * Float(batch.labels.count)
                steps += 1
            }
            let elapsed = clock.now - start
            trainingTime += elapsed
            lastLoss = lossSum / Float(digits.train.count)
            if !quiet {
                let (trainAccuracy, testAccuracy) = evaluate(network, digits)
                print(String(format: "epoch %3d/%d  loss %.4f  train %6.2f%%  test %6.2f%%  %7.2f ms",
                             epoch, epochs, lastLoss, trainAccuracy * 100, testAccuracy * 100, milliseconds(elapsed)))
            }
        }
        let (_, testAccuracy) = evaluate(network, digits)
        let correct = Int((testAccuracy * Double(digits.test.count)).rounded())
        let ms = milliseconds(trainingTime)
        let accuracyText = String(format: "test accuracy %.2f%% (%d/%d)", testAccuracy * 100, correct, digits.test.count)
        if steps == 0 {
            print(accuracyText + ", untrained (0 epochs)")
        } else {
            print(accuracyText + String(format: ", final train loss %.4f, training %.1f ms (%.1f µs/step, ", lastLoss, ms, ms * 1000 / Double(steps))
                  + counted(steps, "step") + ")")
        }
    }

    private func evaluate(_ model: any Module<Float>, _ digits: DigitsData) -> (train: Double, test: Double) {
        withNoGrad {
            (accuracy(logits: model(Tensor(data: digits.train.features)), labels: digits.train.labels),
             accuracy(logits: model(Tensor(data: digits.test.features)), labels: digits.test.labels))
        }
    }
}

/// `1 epoch`, `20 epochs`.
func counted(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

func milliseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15
}
