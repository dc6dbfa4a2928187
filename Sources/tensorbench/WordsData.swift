import ArgumentParser
import Autograd
import Foundation

/// The bundled word list (Data/words.txt) as character streams: every tenth word validates, the
/// others train, each joined by newlines; the vocabulary is the sorted set of the file's
/// characters (Unicode scalars, as Python's `str` iterates). perf/train_transformer_torch.py
/// reads it the same way.
struct WordsData {
    let vocabulary: [Unicode.Scalar]
    let train: [Int]
    let validation: [Int]

    static func defaultFile() -> URL {
        DigitsData.defaultDirectory().appendingPathComponent("words.txt")
    }

    init(file: URL) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        vocabulary = Set(text.unicodeScalars).sorted { $0.value < $1.value }
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
        var words = text.split(separator: "\n", omittingEmptySubsequences: false)
        if words.last?.isEmpty == true { words.removeLast() }
        let newline = index["\n"] ?? 0
        var train: [Int] = [], validation: [Int] = []
        for (i, word) in words.enumerated() {
            let codes = word.unicodeScalars.map { index[$0]! } + [newline]
            if i % 10 == 0 { validation += codes } else { train += codes }
        }
        guard train.count > 64, validation.count > 64 else { throw ValidationError("\(file.path): too few words") }
        (self.train, self.validation) = (train, validation)
    }

    /// `size` windows of `context + 1` characters of the training stream at offsets drawn from
    /// `generator` (`next() % span`, as the PyTorch script draws them): inputs and targets
    /// `[size, context]`, the targets one character on.
    func batch(size: Int, context: Int, using generator: inout RandomGenerator) -> (Tensor<Int>, Tensor<Int>) {
        let span = UInt64(train.count - context)
        var inputs: [Int] = [], targets: [Int] = []
        inputs.reserveCapacity(size * context)
        targets.reserveCapacity(size * context)
        for _ in 0..<size {
            let offset = Int(generator.next() % span)
            inputs += train[offset..<(offset + context)]
            targets += train[(offset + 1)...(offset + context)]
        }
        return (try! Tensor<Int>(inputs, shape: [size, context]), try! Tensor<Int>(targets, shape: [size, context]))
    }

    /// Every non-overlapping window of the validation stream: `[n, context]` inputs and targets.
    func validationWindows(context: Int) -> (Tensor<Int>, Tensor<Int>) {
        let n = (validation.count - 1) / context
        return (try! Tensor<Int>(Array(validation[0..<(n * context)]), shape: [n, context]),
                try! Tensor<Int>(Array(validation[1...(n * context)]), shape: [n, context]))
    }
}
