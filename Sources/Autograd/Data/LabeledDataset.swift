import Arena
import Foundation

/// Rows of features with a class label each, in memory: what a classifier trains on.
///
/// ```swift
/// let digits = try LabeledDataset<Float>(csvAt: url, scale: 1.0 / 16)
/// var rng = RandomGenerator(seed: 0)
/// for batch in digits.batches(size: 64, shuffledWith: &rng) {
///     let loss = crossEntropy(logits: model(batch.features), targets: batch.labels)
///     ...
/// }
/// ```
public struct LabeledDataset<Scalar: TensorScalar>: BatchedDataset {
    /// `[count, featureCount]`.
    public let features: DenseTensor<Scalar>
    /// One class index per row.
    public let labels: [Int]

    /// The number of rows.
    public var count: Int { labels.count }
    /// The number of features per row.
    public var featureCount: Int { features.shape[1] }
    /// One more than the largest label (`Int.max` when the largest label is `Int.max`: a label
    /// read from a file must not make this trap on overflow).
    public var classCount: Int { labels.max().map { $0 == .max ? .max : $0 + 1 } ?? 0 }

    /// A dataset of `features` (`[N, F]`) and `labels` (`N` non-negative class indices).
    public init(features: DenseTensor<Scalar>, labels: [Int]) throws(DatasetError) {
        guard features.rank == 2 else { throw .badShape(features.shape) }
        guard features.shape[0] == labels.count else {
            throw .countMismatch(rows: features.shape[0], labels: labels.count)
        }
        if let bad = labels.firstIndex(where: { $0 < 0 }) { throw .negativeLabel(row: bad, value: labels[bad]) }
        self.features = features
        self.labels = labels
    }

    /// Reads a CSV file with a header line, then one row per sample: the label, then the features
    /// (plain numbers). Features are multiplied by `scale`.
    ///
    /// - Throws: ``DatasetError`` naming the line and column of anything malformed.
    public init(csvAt url: URL, scale: Scalar = 1) throws(DatasetError) {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw .unreadable(path: url.path, reason: error.localizedDescription)
        }
        try self.init(csv: text, source: url.path, scale: scale)
    }

    /// Parses CSV text in memory, in the format of ``init(csvAt:scale:)``; `source` names the text
    /// in errors (where a path would be).
    ///
    /// - Throws: ``DatasetError`` naming the line and column of anything malformed, and a value
    ///   that is not finite once converted to `Scalar` and scaled (`1e300` in a `Float` dataset).
    public init(csv text: String, source: String = "<memory>", scale: Scalar = 1) throws(DatasetError) {
        var lines = text.split(whereSeparator: \.isNewline)
        guard !lines.isEmpty else { throw .empty(path: source) }
        lines.removeFirst()   // header
        var values: [Scalar] = []
        var labels: [Int] = []
        var width = -1
        for (i, line) in lines.enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let lineNumber = i + 2
            if width < 0 { width = fields.count }
            guard fields.count == width, width >= 2 else {
                throw .columnCount(line: lineNumber, found: fields.count, expected: Swift.max(width, 2))
            }
            let labelField = fields[0].trimmingCharacters(in: .whitespaces)
            guard let label = Int(labelField), label >= 0 else {
                throw .badValue(line: lineNumber, column: 1, text: String(fields[0]))
            }
            labels.append(label)
            for (c, field) in fields.dropFirst().enumerated() {
                // Finite after the conversion and the scale too: 1e300 is a finite Double but an
                // infinite Float, which would turn training into NaNs without a word.
                guard let v = Double(field.trimmingCharacters(in: .whitespaces)), v.isFinite,
                      case let value = Scalar(v) * scale, value.isFinite else {
                    throw .badValue(line: lineNumber, column: c + 2, text: String(field))
                }
                values.append(value)
            }
        }
        guard !labels.isEmpty else { throw .empty(path: source) }
        let features = try! DenseTensor(scalars: values, shape: [labels.count, width - 1])
        try self.init(features: features, labels: labels)
    }

    /// The rows at `indices`, in that order.
    public func subset(_ indices: some Collection<Int>) -> LabeledDataset {
        let rows = gatherRows(indices)
        return try! LabeledDataset(features: rows.features, labels: rows.labels)
    }

    /// One batch per element of `sampler`, in its order (`batches(size:dropLast:shuffledWith:)`
    /// and `batches(size:dropLast:)` make the sampler: ``BatchedDataset``).
    public func batches(_ sampler: BatchSampler) -> [Batch] {
        checkCount(of: sampler)
        return sampler.map { indices in
            let rows = gatherRows(indices)
            return Batch(features: Tensor(data: rows.features), labels: rows.labels)
        }
    }

    private func gatherRows(_ indices: some Collection<Int>) -> (features: DenseTensor<Scalar>, labels: [Int]) {
        (features.rows(indices), indices.map { labels[$0] })
    }

    /// A mini-batch: features `[rows, F]` and their labels.
    public struct Batch {
        /// `[rows, featureCount]`: a leaf that does not require grad, ready to feed a model.
        public let features: Tensor<Scalar>
        /// One class index per row of ``features``, in the same order (the `targets` of
        /// ``crossEntropy(logits:targets:)``).
        public let labels: [Int]
    }
}

/// Why a dataset could not be read.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read as UTF-8 text; `reason` is the system's message.
    case unreadable(path: String, reason: String)
    /// No data rows: the text is empty or holds only the header line. For text parsed in memory,
    /// `path` is the `source` name given.
    case empty(path: String)
    /// A row whose field count differs from the first data row's, or a first row with fewer than
    /// two fields (a label and at least one feature). `line` counts from 1 with the header as line 1;
    /// blank lines are skipped and not counted.
    case columnCount(line: Int, found: Int, expected: Int)
    /// A field that is not a number of the expected kind: column 1 (the label) must be a
    /// non-negative integer, so a negative label lands here; a feature must parse as a finite number
    /// and stay finite once converted to `Scalar` and scaled (`1e300` in a `Float` dataset is
    /// rejected rather than becoming `inf`). `line` and `column` count from 1; `text` is the field
    /// as written.
    case badValue(line: Int, column: Int, text: String)
    /// ``LabeledDataset/init(features:labels:)`` was given features that are not 2-D
    /// `[rows, features]`; the payload is their shape.
    case badShape([Int])
    /// ``LabeledDataset/init(features:labels:)`` was given a different number of feature rows and
    /// labels.
    case countMismatch(rows: Int, labels: Int)
    /// ``LabeledDataset/init(features:labels:)`` was given a negative label; `row` counts from 0.
    /// (In a CSV file a negative label is a ``badValue(line:column:text:)`` instead.)
    case negativeLabel(row: Int, value: Int)
    /// ``TensorDataset/init(inputs:targets:)`` was given a 0-d tensor, which has no first
    /// dimension to take samples along.
    case noSampleDimension
    /// ``TensorDataset/init(inputs:targets:)`` was given inputs and targets of different sizes in
    /// the first dimension.
    case sampleCountMismatch(inputs: Int, targets: Int)

    /// A one-line message naming the path or source, line and column where there is one, e.g.
    /// `line 7, column 3: 'x' is not a valid value`.
    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read \(path): \(reason)"
        case let .empty(path): return "\(path) holds no data rows"
        case let .columnCount(line, found, expected): return "line \(line) has \(found) columns, expected \(expected)"
        case let .badValue(line, column, text): return "line \(line), column \(column): '\(text)' is not a valid value"
        case let .badShape(shape): return "features must be 2-D [rows, features], got \(shape)"
        case let .countMismatch(rows, labels): return "\(rows) feature rows but \(labels) labels"
        case let .negativeLabel(row, value): return "row \(row) has a negative label \(value)"
        case .noSampleDimension: return "inputs and targets need a first dimension of samples; got a 0-d tensor"
        case let .sampleCountMismatch(inputs, targets): return "\(inputs) input samples but \(targets) targets"
        }
    }
}

/// The fraction of rows whose largest logit is at their label.
public func accuracy<Scalar: TensorScalar>(logits: Tensor<Scalar>, labels: [Int]) -> Double {
    trapUnless(logits.rank == 2 && logits.shape[0] == labels.count,
               "accuracy: logits \(logits.shape) for \(labels.count) labels")
    guard !labels.isEmpty else { return 0 }
    let predicted = logits.data.max(dim: 1, keepDim: false).indices
    return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
}
