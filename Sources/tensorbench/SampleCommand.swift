import ArgumentParser
import Autograd
import Foundation

/// `tensorbench sample`: words from a transformer checkpoint (`tensorbench train --model
/// transformer --save FILE`, or perf/train_transformer_torch.py --save: the keys are the same).
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate words with a trained character-level transformer checkpoint.")

    @Argument(help: "The safetensors checkpoint.") var checkpoint: String
    @Option(help: "Words to generate.") var count = 20
    @Option(help: "Softmax temperature.") var temperature: Float = 1
    @Option(help: "Seed of the sampling.") var seed: UInt64 = 0
    @Option(help: "Instead of sampling, print the next-character probabilities after this text (JSON).")
    var probabilitiesAfter: String?

    func validate() throws {
        guard count >= 0, temperature > 0 else { throw ValidationError("count must be >= 0 and temperature > 0") }
    }

    func run() throws {
        let words = try WordsData(file: WordsData.defaultFile())
        let model = CharTransformer(vocabulary: words.vocabulary.count)
        try loadSafetensors(into: model.namedParameters, from: URL(fileURLWithPath: checkpoint))
        let index = Dictionary(uniqueKeysWithValues: words.vocabulary.enumerated().map { ($1, $0) })
        let newline = index["\n"]!

        if let prefix = probabilitiesAfter {
            var codes = [newline]
            for scalar in prefix.unicodeScalars {
                guard let code = index[scalar] else { throw ValidationError("'\(scalar)' is not in the vocabulary") }
                codes.append(code)
            }
            let p = nextProbabilities(model, codes, temperature: 1)
            let table = Dictionary(uniqueKeysWithValues: zip(words.vocabulary.map { String($0) }, p.map(Double.init)))
            let json = try JSONSerialization.data(withJSONObject: table, options: [.sortedKeys])
            print(String(decoding: json, as: UTF8.self))
            return
        }
        var generator = RandomGenerator(seed: seed)
        var codes = [newline]
        var produced = 0
        var word = ""
        while produced < count {
            let p = nextProbabilities(model, codes, temperature: temperature)
            let u = Float(Double(generator.next() >> 11) * 0x1p-53)
            var cumulative: Float = 0
            var next = p.count - 1
            for (k, pk) in p.enumerated() {
                cumulative += pk
                if u < cumulative { next = k; break }
            }
            codes.append(next)
            if next == newline || word.unicodeScalars.count >= 40 {
                print(word)
                word = ""
                produced += 1
            } else {
                word.unicodeScalars.append(words.vocabulary[next])
            }
        }
    }

    /// The model's distribution of the character after `codes` (the last `context` of them).
    private func nextProbabilities(_ model: CharTransformer, _ codes: [Int], temperature: Float) -> [Float] {
        let window = Array(codes.suffix(model.context))
        return withNoGrad {
            let logits = model(try! Tensor<Int>(window, shape: [1, window.count]))
            return (logits[0, window.count - 1] / temperature).softmax(dim: 0).scalars
        }
    }
}
