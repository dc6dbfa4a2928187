#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// MARK: - Reading and checking a file

/// A safetensors file whose layout has been checked: every entry's offsets lie in the data
/// region and span its shape × dtype size, and the entries tile the data region exactly.
struct SafetensorsFile {
    struct Entry {
        let name: String
        let dtype: String
        let shape: [Int]
        /// Byte offsets into the data region.
        let begin: Int
        let end: Int
    }

    /// The reference implementation's limit on the header size.
    static let maxHeaderSize = 100_000_000

    /// Bits per element of each safetensors dtype.
    static let dtypeBits: [String: Int] = [
        "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
        "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
        "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
        "I32": 32, "U32": 32, "F32": 32,
        "I64": 64, "U64": 64, "F64": 64, "C64": 64,
    ]

    /// The entries in header order.
    let entries: [Entry]
    /// `__metadata__`, or `nil` when absent or `null`.
    let metadata: [String: String]?
    /// Where the data region starts in the bytes.
    let dataStart: Int

    init(bytes: [UInt8], source: String) throws(CheckpointError) {
        guard bytes.count >= 8 else { throw .fileTooSmall(source: source, byteCount: bytes.count) }
        var size: UInt64 = 0
        for i in (0..<8).reversed() { size = size << 8 | UInt64(bytes[i]) }
        guard size <= UInt64(Self.maxHeaderSize) else {
            throw .headerTooLarge(source: source, headerSize: size, limit: Self.maxHeaderSize)
        }
        let headerSize = Int(size)   // ≤ 100 MB: no overflow below
        guard headerSize <= bytes.count - 8 else {
            throw .headerOutOfBounds(source: source, headerSize: size, byteCount: bytes.count)
        }
        let header = Array(bytes[8..<(8 + headerSize)])
        dataStart = 8 + headerSize
        let dataCount = bytes.count - dataStart

        guard !transcode(header.makeIterator(), from: UTF8.self, to: UTF32.self, stoppingOnError: true, into: { _ in }) else {
            throw .invalidHeader(source: source, reason: "it is not valid UTF-8")
        }
        var parser = HeaderParser(bytes: header)
        let parsed: (entries: [HeaderParser.RawEntry], metadata: [String: String]?)
        do {
            parsed = try parser.parse()
        } catch {
            throw .invalidHeader(source: source, reason: "\(error.message) (at byte \(error.offset) of the header)")
        }

        var entries: [Entry] = []
        entries.reserveCapacity(parsed.entries.count)
        for raw in parsed.entries {
            let name = raw.name
            guard let bits = Self.dtypeBits[raw.dtype] else {
                throw .unsupportedDtype(source: source, tensor: name, dtype: raw.dtype)
            }
            // The element count and size in bits, overflow checked.
            var count = 1
            var shape: [Int] = []
            shape.reserveCapacity(raw.shape.count)
            for dim in raw.shape {
                guard dim <= UInt64(Int.max) else { throw .sizeOverflow(source: source, tensor: name, shape: raw.shape) }
                let (product, overflow) = count.multipliedReportingOverflow(by: Int(dim))
                guard !overflow else { throw .sizeOverflow(source: source, tensor: name, shape: raw.shape) }
                count = product
                shape.append(Int(dim))
            }
            let (totalBits, overflow) = count.multipliedReportingOverflow(by: bits)
            guard !overflow else { throw .sizeOverflow(source: source, tensor: name, shape: raw.shape) }
            let expectedBytes = totalBits / 8 + (totalBits % 8 == 0 ? 0 : 1)

            guard raw.begin <= raw.end, raw.end <= UInt64(dataCount) else {
                throw .offsetsOutOfRange(source: source, tensor: name, begin: raw.begin, end: raw.end, dataByteCount: dataCount)
            }
            let begin = Int(raw.begin), end = Int(raw.end)
            guard totalBits % 8 == 0, end - begin == expectedBytes else {
                throw .dataSizeMismatch(source: source, tensor: name, dtype: raw.dtype, shape: shape,
                                        expectedBytes: expectedBytes, foundBytes: end - begin)
            }
            entries.append(Entry(name: name, dtype: raw.dtype, shape: shape, begin: begin, end: end))
        }

        // The byte ranges must tile the data region: no overlap, no gap, nothing after the last.
        let sorted = entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        var previous = ""
        for entry in sorted {
            if entry.begin < covered {
                throw .overlappingTensors(source: source, tensor: entry.name, other: previous)
            }
            if entry.begin > covered { throw .uncoveredBytes(source: source, begin: covered, end: entry.begin) }
            covered = entry.end
            previous = entry.name
        }
        if covered < dataCount { throw .uncoveredBytes(source: source, begin: covered, end: dataCount) }

        self.entries = entries
        self.metadata = parsed.metadata
    }
}
