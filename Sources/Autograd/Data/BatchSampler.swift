import Arena
import TensorCore

/// The sample indices of each mini-batch of one epoch: PyTorch's `BatchSampler` over a
/// `SequentialSampler` or, with a generator, a `RandomSampler`; what ``TensorDataset`` and
/// ``LabeledDataset`` batch by.
///
/// ```swift
/// var rng = RandomGenerator(seed: 0)
/// for indices in BatchSampler(count: 10, batchSize: 4, shuffledWith: &rng) {
///     print(indices)   // 4 indices, 4, then the last 2 (none with dropLast: true)
/// }
/// ```
///
/// Each index in `0..<count` appears exactly once per epoch (once per sampler), except the last
/// `count % batchSize` of the order when `dropLast` is set. The same seed gives the same order;
/// the order does not reproduce PyTorch's for a seed (its generator differs).
public struct BatchSampler: Sequence {
    /// Every index of the epoch, in the order batches take them.
    public let order: [Int]
    /// The number of indices in a batch (the last may have fewer, unless ``dropLast``).
    public let batchSize: Int
    /// Whether a last batch smaller than ``batchSize`` is left out.
    public let dropLast: Bool

    /// Batches of `0..<count` in order.
    public init(count: Int, batchSize: Int, dropLast: Bool = false) {
        self.init(order: Array(0..<Swift.max(count, 0)), batchSize: batchSize, dropLast: dropLast)
    }

    /// Batches of `0..<count` in an order shuffled by `generator` (a new permutation at each call:
    /// make one sampler per epoch).
    public init(count: Int, batchSize: Int, dropLast: Bool = false, shuffledWith generator: inout RandomGenerator) {
        var order = Array(0..<Swift.max(count, 0))
        order.shuffle(using: &generator)
        self.init(order: order, batchSize: batchSize, dropLast: dropLast)
    }

    private init(order: [Int], batchSize: Int, dropLast: Bool) {
        trapUnless(batchSize > 0, "batch_size should be a positive integer value, but got batch_size=\(batchSize)")
        self.order = order
        self.batchSize = batchSize
        self.dropLast = dropLast
    }

    /// The number of batches (PyTorch's `len(batch_sampler)`).
    public var batchCount: Int {
        dropLast ? order.count / batchSize : (order.count + batchSize - 1) / batchSize
    }

    /// Yields the indices of one batch after another.
    public struct Iterator: IteratorProtocol {
        let sampler: BatchSampler
        var start = 0

        public mutating func next() -> ArraySlice<Int>? {
            let end = Swift.min(start + sampler.batchSize, sampler.order.count)
            guard start < end, !(sampler.dropLast && end - start < sampler.batchSize) else { return nil }
            defer { start = end }
            return sampler.order[start..<end]
        }
    }

    public func makeIterator() -> Iterator { Iterator(sampler: self) }
    public var underestimatedCount: Int { batchCount }
}

/// A dataset in memory that can be cut into mini-batches (``TensorDataset``, ``LabeledDataset``):
/// it makes one batch per element of a ``BatchSampler``, and gets PyTorch's `DataLoader`
/// choices (`batch_size`, `shuffle`, `drop_last`) from this protocol's extension.
///
/// ```swift
/// var rng = RandomGenerator(seed: 0)
/// for epoch in 0..<epochs {
///     for batch in dataset.batches(size: 64, dropLast: true, shuffledWith: &rng) { ... }
/// }
/// ```
public protocol BatchedDataset {
    /// A mini-batch: the samples at a sampler's indices, in its order.
    associatedtype Batch
    /// The number of samples.
    var count: Int { get }
    /// One batch per element of `sampler` (whose indices cover `0..<count`), in its order.
    func batches(_ sampler: BatchSampler) -> [Batch]
}

extension BatchedDataset {
    /// The dataset in mini-batches of `size` samples, in an order shuffled by `generator` (a new
    /// permutation at each call: once per epoch; PyTorch's `DataLoader(shuffle=True)`). The last
    /// batch may be smaller, or is left out with `dropLast`.
    public func batches(size: Int, dropLast: Bool = false, shuffledWith generator: inout RandomGenerator) -> [Batch] {
        batches(BatchSampler(count: count, batchSize: size, dropLast: dropLast, shuffledWith: &generator))
    }

    /// The dataset in mini-batches of `size` samples, in order; the last may be smaller, or is
    /// left out with `dropLast`.
    public func batches(size: Int, dropLast: Bool = false) -> [Batch] {
        batches(BatchSampler(count: count, batchSize: size, dropLast: dropLast))
    }

    /// Traps unless `sampler` draws from exactly this dataset's indices.
    func checkCount(of sampler: BatchSampler) {
        trapUnless(sampler.order.count == count,
                   "a BatchSampler of \(sampler.order.count) indices for a dataset of \(count) samples")
    }
}
