#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// Saving and loading parameters in the safetensors format (https://github.com/huggingface/safetensors),
// the format of `safetensors.torch.save_file` / `load_file`:
//
//     ┌──────────────┬─────────────────────────────┬────────────────────────────────────┐
//     │ N: UInt64 LE │ N bytes of UTF-8 JSON header │ data: the tensors' raw LE bytes    │
//     └──────────────┴─────────────────────────────┴────────────────────────────────────┘
//
//     {"__metadata__":{"format":"pt"},
//      "0.bias":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},
//      "0.weight":{"dtype":"F32","shape":[4,3],"data_offsets":[16,64]}}
//
// `data_offsets` are `[begin, end)` byte offsets into the data region. Files are written as the
// reference implementation writes them (keys in name order, compact JSON, header padded with
// spaces to a multiple of 8), so that a file saved here is byte for byte the one
// `safetensors.torch.save_file(state_dict, path, metadata={"format": "pt"})` writes. Loading
// treats the bytes as hostile: everything is checked before any parameter changes.

// MARK: - Module

extension Module {
    /// Writes every parameter to a safetensors file at `url`, keyed by its ``namedParameters`` name
    /// (PyTorch: `safetensors.torch.save_model(model, path)`).
    ///
    /// The file is the format Hugging Face's `safetensors` library reads (`F32` for `Float`
    /// models, `F64` for `Double`); see ``saveSafetensors(_:to:metadata:)`` for the layout.
    ///
    /// ```swift
    /// let model = Sequential<Float>(Linear(inFeatures: 3, outFeatures: 4), ReLU(), Linear(inFeatures: 4, outFeatures: 1))
    /// try model.save(to: URL(fileURLWithPath: "model.safetensors"))
    /// // Python: safetensors.torch.load_file("model.safetensors") → {"0.weight": ..., "0.bias": ..., ...}
    /// ```
    ///
    /// - Parameter url: Where to write the file; an existing file is replaced atomically.
    /// - Parameter metadata: Extra `__metadata__` entries; `"format": "pt"` is added unless given.
    /// - Throws: ``CheckpointError``: duplicate parameter names, or the file cannot be written.
    public func save(to url: URL, metadata: [String: String] = [:]) throws(CheckpointError) {
        try saveSafetensors(namedParameters, to: url, metadata: metadata)
    }

    /// Replaces every parameter's values with the tensor of the same name in the safetensors file
    /// at `url` (PyTorch: `safetensors.torch.load_model(model, path)`, which is strict).
    ///
    /// The file must hold exactly the model's parameters, with their dtype and shapes. Everything
    /// is checked before anything is written, so a load that throws leaves the model as it was.
    ///
    /// ```swift
    /// let restored = Sequential<Float>(Linear(inFeatures: 3, outFeatures: 4), ReLU(), Linear(inFeatures: 4, outFeatures: 1))
    /// try restored.load(from: URL(fileURLWithPath: "model.safetensors"))
    /// ```
    ///
    /// - Throws: ``CheckpointError`` naming the first problem found.
    public func load(from url: URL) throws(CheckpointError) {
        try loadSafetensors(into: namedParameters, from: url)
    }

    /// The bytes ``save(to:metadata:)`` would write.
    public func safetensorsBytes(metadata: [String: String] = [:]) throws(CheckpointError) -> [UInt8] {
        try encodeSafetensors(namedParameters, metadata: metadata)
    }

    /// ``load(from:)`` from bytes in memory; `source` names them in errors.
    public func load(safetensorsBytes bytes: some Collection<UInt8>, source: String = "<memory>") throws(CheckpointError) {
        try loadSafetensors(into: namedParameters, bytes: bytes, source: source)
    }
}

// MARK: - Free functions over named tensors

/// Writes `named` tensors to a safetensors file at `url` (written atomically).
///
/// The layout is the safetensors format:
/// - 8 bytes: `N`, the header's size, a little-endian `UInt64`;
/// - `N` bytes: a UTF-8 JSON object, padded with spaces to a multiple of 8 bytes:
///   `{"__metadata__": {"format": "pt"}, "name": {"dtype": "F32", "shape": [4, 3], "data_offsets": [begin, end]}, ...}`;
/// - the data region: each tensor's scalars, row-major, little-endian, one after another, each at
///   its `[begin, end)` byte range of the region.
///
/// Tensors are laid out in the order of their names' UTF-8 bytes, as the reference implementation
/// lays them out, so the file equals what Python's `safetensors.torch.save_file` writes for the
/// same tensors and metadata.
///
/// ```swift
/// let w = try Tensor<Float>([[1, 2], [3, 4]])
/// try saveSafetensors([("w", w)], to: URL(fileURLWithPath: "w.safetensors"), metadata: ["step": "10"])
/// ```
///
/// - Parameter named: `(name, tensor)` pairs, in any order; names must be unique and not
///   `__metadata__`.
/// - Parameter url: Where to write the file; an existing file is replaced atomically.
/// - Parameter metadata: Extra `__metadata__` entries; `"format": "pt"` is added unless given.
/// - Throws: ``CheckpointError/duplicateName(_:)``, ``CheckpointError/reservedName(_:)``, or
///   ``CheckpointError/io(source:reason:)`` when the file cannot be written.
public func saveSafetensors<S: TensorScalar>(
    _ named: [(String, Tensor<S>)], to url: URL, metadata: [String: String] = [:]
) throws(CheckpointError) {
    let bytes = try encodeSafetensors(named, metadata: metadata)
    do {
        try Data(bytes).write(to: url, options: .atomic)
    } catch {
        throw .io(source: displayName(url), reason: "cannot write the file: \(error)")
    }
}

/// The safetensors encoding of `named` tensors, as ``saveSafetensors(_:to:metadata:)`` writes it.
public func encodeSafetensors<S: TensorScalar>(
    _ named: [(String, Tensor<S>)], metadata: [String: String] = [:]
) throws(CheckpointError) -> [UInt8] {
    let dtype = try safetensorsDtype(S.self)
    try checkParameterNames(named.map(\.0))
    let elementSize = MemoryLayout<S>.size
    let order = named.indices.sorted { named[$0].0.utf8.lexicographicallyPrecedes(named[$1].0.utf8) }

    var metadata = metadata
    if metadata["format"] == nil { metadata["format"] = "pt" }
    var header: [UInt8] = []
    header.append(contentsOf: "{\"__metadata__\":{".utf8)
    for (i, key) in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
        if i > 0 { header.append(UInt8(ascii: ",")) }
        appendJSONString(key, to: &header)
        header.append(UInt8(ascii: ":"))
        appendJSONString(metadata[key] ?? "", to: &header)
    }
    header.append(UInt8(ascii: "}"))
    var offset = 0
    for i in order {
        let (name, tensor) = named[i]
        let size = tensor.count * elementSize
        header.append(UInt8(ascii: ","))
        appendJSONString(name, to: &header)
        header.append(contentsOf: ":{\"dtype\":\"\(dtype)\",\"shape\":[".utf8)
        header.append(contentsOf: tensor.shape.map(String.init).joined(separator: ",").utf8)
        header.append(contentsOf: "],\"data_offsets\":[\(offset),\(offset + size)]}".utf8)
        offset += size
    }
    header.append(UInt8(ascii: "}"))
    header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

    var out: [UInt8] = []
    out.reserveCapacity(8 + header.count + offset)
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(contentsOf: header)
    for i in order {
        named[i].1.data.storage.read { scalars in
            let start = out.count
            out.append(contentsOf: UnsafeRawBufferPointer(scalars))
            #if _endian(big)
            swapElementBytes(&out, from: start, elementSize: elementSize)
            #else
            _ = start
            #endif
        }
    }
    return out
}

/// Replaces the values of `named` tensors with the tensors of the same names in the safetensors
/// file at `url`, in place and without recording (the tensors keep their identity, their
/// `requiresGrad` and their gradients).
///
/// ```swift
/// let model = Linear<Float>(inFeatures: 3, outFeatures: 2)
/// try loadSafetensors(into: model.namedParameters, from: URL(fileURLWithPath: "linear.safetensors"))
/// ```
///
/// The file is checked entirely before any tensor changes: its layout (the header size against
/// the file size and a 100 MB limit; the header is an object of UTF-8 JSON without duplicate
/// keys; every dtype is a safetensors dtype; every tensor's `data_offsets` lie in the data region
/// and span exactly its shape × dtype size; the tensors cover the data region exactly, without
/// overlap, gap or trailing bytes), then its match with `named` (a tensor for every name and no
/// other, each with the tensors' dtype, `F32` or `F64`, and each with its tensor's shape).
///
/// - Throws: ``CheckpointError`` naming the first problem found; then no tensor has changed.
public func loadSafetensors<S: TensorScalar>(into named: [(String, Tensor<S>)], from url: URL) throws(CheckpointError) {
    let source = displayName(url)
    let bytes: [UInt8]
    do {
        bytes = [UInt8](try Data(contentsOf: url))
    } catch {
        throw .io(source: source, reason: "cannot read the file: \(error)")
    }
    try loadSafetensors(into: named, bytes: bytes, source: source)
}

/// ``loadSafetensors(into:from:)`` from bytes in memory (for example from
/// ``encodeSafetensors(_:metadata:)``); `source` names the bytes in errors.
public func loadSafetensors<S: TensorScalar>(
    into named: [(String, Tensor<S>)], bytes: some Collection<UInt8>, source: String = "<memory>"
) throws(CheckpointError) {
    let bytes = Array(bytes)
    let file = try SafetensorsFile(bytes: bytes, source: source)
    let dtype = try safetensorsDtype(S.self)
    try checkParameterNames(named.map(\.0))

    var byName: [[UInt8]: SafetensorsFile.Entry] = [:]
    for entry in file.entries { byName[Array(entry.name.utf8)] = entry }
    var matched: [SafetensorsFile.Entry] = []
    for (name, tensor) in named {
        guard let entry = byName[Array(name.utf8)] else { throw .missingTensor(source: source, tensor: name) }
        guard entry.dtype == dtype else {
            throw .dtypeMismatch(source: source, tensor: name, expected: dtype, found: entry.dtype)
        }
        guard entry.shape == tensor.shape else {
            throw .shapeMismatch(source: source, tensor: name, expected: tensor.shape, found: entry.shape)
        }
        matched.append(entry)
    }
    let names = Set(named.map { Array($0.0.utf8) })
    for entry in file.entries where !names.contains(Array(entry.name.utf8)) {
        throw .unexpectedTensor(source: source, tensor: entry.name)
    }

    // Every check passed: stage the values, then copy them in.
    let staged = zip(named, matched).map { item, entry -> DenseTensor<S> in
        let values = DenseTensor<S>(uninitializedShape: item.1.shape)
        values.storage.update { scalars in
            let destination = UnsafeMutableRawBufferPointer(scalars)
            let begin = file.dataStart + entry.begin, end = file.dataStart + entry.end
            bytes.withUnsafeBytes { raw in
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[begin..<end]))
            }
            #if _endian(big)
            swapElementBytes(destination, elementSize: MemoryLayout<S>.size)
            #endif
        }
        return values
    }
    withNoGrad {
        for ((_, tensor), values) in zip(named, staged) { tensor.copy(from: Tensor(data: values)) }
    }
}

// MARK: - Helpers

private func displayName(_ url: URL) -> String { url.isFileURL ? url.path : url.absoluteString }

/// `F32` for `Float`, `F64` for `Double`.
private func safetensorsDtype<S: TensorScalar>(_: S.Type) throws(CheckpointError) -> String {
    if S.self == Float.self { return "F32" }
    if S.self == Double.self { return "F64" }
    throw .unsupportedScalarType(String(describing: S.self))
}

private func checkParameterNames(_ names: [String]) throws(CheckpointError) {
    var seen = Set<[UInt8]>()
    for name in names {
        let key = Array(name.utf8)
        if key == Array(metadataKey.utf8) { throw .reservedName(name) }
        if !seen.insert(key).inserted { throw .duplicateName(name) }
    }
}

private let metadataKey = "__metadata__"

/// A JSON string as serde_json writes it: `"` `\` and control characters escaped, nothing else.
private func appendJSONString(_ string: String, to out: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    out.append(UInt8(ascii: "\""))
    for byte in string.utf8 {
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
        case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
        case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case 0..<0x20:
            out.append(contentsOf: "\\u00".utf8)
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        default: out.append(byte)
        }
    }
    out.append(UInt8(ascii: "\""))
}

#if _endian(big)
private func swapElementBytes(_ bytes: inout [UInt8], from start: Int, elementSize: Int) {
    var i = start
    while i + elementSize <= bytes.count {
        bytes[i..<(i + elementSize)].reverse()
        i += elementSize
    }
}

private func swapElementBytes(_ bytes: UnsafeMutableRawBufferPointer, elementSize: Int) {
    var i = 0
    while i + elementSize <= bytes.count {
        var lo = i, hi = i + elementSize - 1
        while lo < hi { bytes.swapAt(lo, hi); lo += 1; hi -= 1 }
        i += elementSize
    }
}
#endif

// MARK: - Reading and checking a file

/// A safetensors file whose layout has been checked: every entry's offsets lie in the data
/// region and span its shape × dtype size, and the entries tile the data region exactly.
private struct SafetensorsFile {
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

// MARK: - Parsing the header

/// The JSON header, parsed strictly (RFC 8259) against the safetensors schema as it is read:
/// duplicate keys are rejected in every object, unknown fields of a tensor's entry are skipped
/// (as the reference implementation skips them) without being kept, nesting is at most
/// ``maxDepth`` deep so that no input can exhaust the stack, and every read is bounds-checked.
private struct HeaderParser {
    struct Failure: Error {
        let message: String
        let offset: Int
    }

    struct RawEntry {
        let name: String
        let dtype: String
        let shape: [UInt64]
        let begin: UInt64
        let end: UInt64
    }

    static let maxDepth = 64

    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The whole header: one object, with only whitespace around it.
    mutating func parse() throws(Failure) -> (entries: [RawEntry], metadata: [String: String]?) {
        skipWhitespace()
        guard current == UInt8(ascii: "{") else {
            throw failure(current == nil ? "the header is empty" : "the header is not a JSON object")
        }
        index += 1
        var entries: [RawEntry] = []
        var metadata: [String: String]?
        var keys = Set<[UInt8]>()
        while let (name, offset) = try nextMember(keys.count) {
            guard keys.insert(Array(name.utf8)).inserted else {
                throw Failure(message: "duplicate key \"\(name)\"", offset: offset)
            }
            if name.utf8.elementsEqual(metadataKey.utf8) {
                metadata = try parseMetadata()
            } else {
                entries.append(try parseEntry(name))
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected text after the JSON object") }
        return (entries, metadata)
    }

    // MARK: The schema

    /// `__metadata__`: `null`, or an object of strings.
    private mutating func parseMetadata() throws(Failure) -> [String: String]? {
        if current == UInt8(ascii: "n") { try parseLiteral("null"); return nil }
        guard current == UInt8(ascii: "{") else { throw failure("__metadata__ is not an object of strings") }
        index += 1
        var out: [String: String] = [:]
        var keys = Set<[UInt8]>()
        while let (key, offset) = try nextMember(keys.count) {
            guard keys.insert(Array(key.utf8)).inserted else {
                throw Failure(message: "duplicate key \"\(key)\" in __metadata__", offset: offset)
            }
            guard current == UInt8(ascii: "\"") else { throw failure("__metadata__ entry \"\(key)\" is not a string") }
            out[key] = try parseString()
        }
        return out
    }

    /// `{"dtype": String, "shape": [UInt], "data_offsets": [UInt, UInt]}`, other fields skipped.
    private mutating func parseEntry(_ name: String) throws(Failure) -> RawEntry {
        func invalid(_ problem: String, at offset: Int) -> Failure {
            Failure(message: "tensor \"\(name)\": \(problem)", offset: offset)
        }
        guard current == UInt8(ascii: "{") else { throw invalid("its entry is not a JSON object", at: index) }
        index += 1
        var dtype: String?
        var shape: [UInt64]?
        var offsets: [UInt64]?
        var keys = Set<[UInt8]>()
        while let (key, offset) = try nextMember(keys.count) {
            guard keys.insert(Array(key.utf8)).inserted else { throw invalid("duplicate key \"\(key)\"", at: offset) }
            let valueOffset = index
            if key.utf8.elementsEqual("dtype".utf8) {
                guard current == UInt8(ascii: "\"") else { throw invalid("\"dtype\" is not a string", at: valueOffset) }
                dtype = try parseString()
            } else if key.utf8.elementsEqual("shape".utf8) {
                guard let dims = try parseUnsignedIntegers(limit: nil) else {
                    throw invalid("\"shape\" is not an array of non-negative integers", at: valueOffset)
                }
                shape = dims
            } else if key.utf8.elementsEqual("data_offsets".utf8) {
                guard let pair = try parseUnsignedIntegers(limit: 2), pair.count == 2 else {
                    throw invalid("\"data_offsets\" is not an array of two non-negative integers", at: valueOffset)
                }
                offsets = pair
            } else {
                try skipValue(depth: 3)
            }
        }
        guard let dtype else { throw invalid("no \"dtype\"", at: index) }
        guard let shape else { throw invalid("no \"shape\"", at: index) }
        guard let offsets else { throw invalid("no \"data_offsets\"", at: index) }
        return RawEntry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    /// An array of integers in `0...UInt64.max`, else `nil`; `nil` too once it has more than
    /// `limit` elements (without reading further).
    private mutating func parseUnsignedIntegers(limit: Int?) throws(Failure) -> [UInt64]? {
        guard current == UInt8(ascii: "[") else { return nil }
        index += 1
        var out: [UInt64] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { index += 1; return out }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "-") || Self.isDigit(current), let value = try parseNumber() else { return nil }
            if let limit, out.count == limit { return nil }
            out.append(value)
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']'")
            return out
        }
    }

    // MARK: JSON

    private func failure(_ message: String) -> Failure { Failure(message: message, offset: index) }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        guard current == byte else { throw failure(current == nil ? "unexpected end, expected \(what)" : "expected \(what)") }
        index += 1
    }

    /// In an object whose `{` has been read and which has `count` members so far: the next
    /// member's key and where it starts, with the `:` after it read (the value is next), or `nil`
    /// once the closing `}` has been read.
    private mutating func nextMember(_ count: Int) throws(Failure) -> (String, Int)? {
        skipWhitespace()
        if current == UInt8(ascii: "}") && count == 0 { index += 1; return nil }
        if count > 0 {
            if current == UInt8(ascii: "}") { index += 1; return nil }
            try expect(UInt8(ascii: ","), "',' or '}'")
            skipWhitespace()
        }
        let offset = index
        guard current == UInt8(ascii: "\"") else { throw failure(current == nil ? "unexpected end, expected a string key" : "expected a string key") }
        let key = try parseString()
        skipWhitespace()
        try expect(UInt8(ascii: ":"), "':'")
        skipWhitespace()
        return (key, offset)
    }

    /// Reads any value without keeping it; `depth` is its nesting depth.
    private mutating func skipValue(depth: Int) throws(Failure) {
        guard depth <= Self.maxDepth else { throw failure("values nested more than \(Self.maxDepth) deep") }
        guard let byte = current else { throw failure("unexpected end, expected a value") }
        switch byte {
        case UInt8(ascii: "{"):
            index += 1
            var keys = Set<[UInt8]>()
            while let (key, offset) = try nextMember(keys.count) {
                guard keys.insert(Array(key.utf8)).inserted else {
                    throw Failure(message: "duplicate key \"\(key)\"", offset: offset)
                }
                try skipValue(depth: depth + 1)
            }
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if current == UInt8(ascii: "]") { index += 1; return }
            while true {
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                if current == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "]"), "',' or ']'")
                return
            }
        case UInt8(ascii: "\""): _ = try parseString()
        case UInt8(ascii: "t"): try parseLiteral("true")
        case UInt8(ascii: "f"): try parseLiteral("false")
        case UInt8(ascii: "n"): try parseLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try parseNumber()
        default: throw failure("unexpected character, expected a value")
        }
    }

    private mutating func parseLiteral(_ literal: StaticString) throws(Failure) {
        let text = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for byte in text {
            guard current == byte else { throw failure("invalid literal") }
            index += 1
        }
    }

    private static func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// A number's value when it is an integer in `0...UInt64.max` written without sign, fraction
    /// or exponent, else `nil`; throws when it is not a JSON number.
    private mutating func parseNumber() throws(Failure) -> UInt64? {
        var isUnsignedInteger = true
        if current == UInt8(ascii: "-") { index += 1; isUnsignedInteger = false }
        guard let first = current, Self.isDigit(first) else { throw failure("invalid number") }
        var value: UInt64? = 0
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            while let byte = current, Self.isDigit(byte) {
                if let v = value {
                    let (times10, o1) = v.multipliedReportingOverflow(by: 10)
                    let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                    value = o1 || o2 ? nil : sum
                }
                index += 1
            }
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard Self.isDigit(current) else { throw failure("invalid number: no digit after '.'") }
            while Self.isDigit(current) { index += 1 }
            isUnsignedInteger = false
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard Self.isDigit(current) else { throw failure("invalid number: no digit in the exponent") }
            while Self.isDigit(current) { index += 1 }
            isUnsignedInteger = false
        }
        return isUnsignedInteger ? value : nil
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw failure("unexpected end in a \\u escape") }
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A")) + 10
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// A string starting at its opening quote. The bytes are already known to be UTF-8.
    private mutating func parseString() throws(Failure) -> String {
        index += 1   // "
        var out: [UInt8] = []
        while true {
            guard let byte = current else { throw failure("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: out, as: UTF8.self)
            case 0..<0x20:
                throw failure("control character in a string")
            case UInt8(ascii: "\\"):
                index += 1
                guard let escape = current else { throw failure("unterminated string") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xDC00...0xDFFF).contains(code) { throw failure("lone low surrogate in a \\u escape") }
                    if (0xD800...0xDBFF).contains(code) {
                        guard current == UInt8(ascii: "\\") else { throw failure("lone high surrogate in a \\u escape") }
                        index += 1
                        guard current == UInt8(ascii: "u") else { throw failure("lone high surrogate in a \\u escape") }
                        index += 1
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw failure("lone high surrogate in a \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw failure("invalid \\u escape") }
                    UTF8.encode(scalar) { out.append($0) }
                default:
                    index -= 1
                    throw failure("invalid escape")
                }
            default:
                out.append(byte)
                index += 1
            }
        }
    }
}
