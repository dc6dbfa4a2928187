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

extension ModuleBase {
    /// Writes the module's ``stateDict`` (every parameter and buffer, keyed by name) to a
    /// safetensors file at `url`, the file PyTorch writes with
    /// `safetensors.torch.save_file(model.state_dict(), path, metadata={"format": "pt"})`.
    ///
    /// `Float` tensors are `F32`, `Double` ones `F64`, and a batch norm's `num_batches_tracked`
    /// is `I64`, as in PyTorch's files; see ``saveSafetensors(_:to:metadata:)`` for the layout.
    /// With the parts named as the PyTorch module's attributes, the file loads there with
    /// `model.load_state_dict(safetensors.torch.load_file(path))`.
    ///
    /// ```swift
    /// let model = Sequential<Float>(Linear(inFeatures: 3, outFeatures: 4), ReLU(), Linear(inFeatures: 4, outFeatures: 1))
    /// try model.save(to: URL(fileURLWithPath: "model.safetensors"))
    /// // Python: safetensors.torch.load_file("model.safetensors") → {"0.weight": ..., "0.bias": ..., ...}
    /// ```
    ///
    /// - Parameter url: Where to write the file; an existing file is replaced atomically.
    /// - Parameter metadata: Extra `__metadata__` entries; `"format": "pt"` is added unless given.
    /// - Throws: ``CheckpointError``: duplicate names, or the file cannot be written.
    public func save(to url: URL, metadata: [String: String] = [:]) throws(CheckpointError) {
        try saveSafetensors(stateDict, to: url, metadata: metadata)
    }

    /// Replaces every parameter's and buffer's values with the tensor of the same name in the
    /// safetensors file at `url` (PyTorch: `model.load_state_dict(load_file(path))`, which is
    /// strict, or `safetensors.torch.load_model(model, path)`).
    ///
    /// The file must hold exactly the module's ``stateDict``, with its dtypes and shapes.
    /// Everything is checked before anything is written, so a load that throws leaves the model
    /// as it was. A file PyTorch wrote for the matching `nn.Module` loads as it is: a batch
    /// norm's running statistics and `num_batches_tracked` come with it, so ``eval()`` gives
    /// PyTorch's `eval()` outputs.
    ///
    /// ```swift
    /// let restored = Sequential<Float>(Linear(inFeatures: 3, outFeatures: 4), ReLU(), Linear(inFeatures: 4, outFeatures: 1))
    /// try restored.load(from: URL(fileURLWithPath: "model.safetensors"))
    /// ```
    ///
    /// - Throws: ``CheckpointError`` naming the first problem found.
    public func load(from url: URL) throws(CheckpointError) {
        try loadSafetensors(into: stateDict, from: url)
    }

    /// The bytes ``save(to:metadata:)`` would write.
    public func safetensorsBytes(metadata: [String: String] = [:]) throws(CheckpointError) -> [UInt8] {
        try encodeSafetensors(stateDict, metadata: metadata)
    }

    /// ``load(from:)`` from bytes in memory; `source` names them in errors.
    public func load(safetensorsBytes bytes: some Collection<UInt8>, source: String = "<memory>") throws(CheckpointError) {
        try loadSafetensors(into: stateDict, bytes: bytes, source: source)
    }

    /// ``load(from:)``, or with `strict: false` the tensors the file and the module both have,
    /// leaving the others as they are (PyTorch's `load_state_dict(state, strict=False)`): to
    /// start a model from the weights of another that shares part of its layers, such as a
    /// pretrained body under a new head.
    ///
    /// A tensor both have must still have the module's dtype and shape; the checks run before
    /// anything is written, as in a strict load.
    ///
    /// ```swift
    /// let keys = try model.load(from: url, strict: false)
    /// print(keys.missingKeys)      // ["head.weight", "head.bias"]: left as initialized
    /// ```
    ///
    /// - Returns: The names of the module's tensors the file lacks and of the file's tensors the
    ///   module lacks (PyTorch's `missing_keys`, `unexpected_keys`); both empty after a strict load.
    @discardableResult
    public func load(from url: URL, strict: Bool) throws(CheckpointError) -> (missingKeys: [String], unexpectedKeys: [String]) {
        let (bytes, source) = try readCheckpointFile(url)
        return try loadNamedTensors(into: stateDict, bytes: bytes, source: source, strict: strict)
    }

    /// ``load(from:strict:)`` from bytes in memory; `source` names them in errors.
    @discardableResult
    public func load(
        safetensorsBytes bytes: some Collection<UInt8>, source: String = "<memory>", strict: Bool
    ) throws(CheckpointError) -> (missingKeys: [String], unexpectedKeys: [String]) {
        try loadNamedTensors(into: stateDict, bytes: Array(bytes), source: source, strict: strict)
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
/// The tensors may mix element types, as PyTorch's state dicts do: `Float` is `F32`, `Double`
/// `F64`, `Int` `I64`. They are laid out as the reference implementation lays them out, the
/// widest dtype first (`I64`, then `F64`, then `F32`) and by their names' UTF-8 bytes within a
/// dtype, so the file equals what Python's `safetensors.torch.save_file` writes for the same
/// tensors and metadata. A list of one element type, such as a module's
/// ``ModuleBase/namedParameters``, is taken as it is.
///
/// ```swift
/// let w = try Tensor<Float>([[1, 2], [3, 4]])
/// let step = Tensor<Int>(10)
/// try saveSafetensors([("w", w), ("step", step)], to: URL(fileURLWithPath: "w.safetensors"), metadata: ["epoch": "3"])
/// ```
///
/// - Parameter named: `(name, tensor)` pairs, in any order; names must be unique and not
///   `__metadata__`.
/// - Parameter url: Where to write the file; an existing file is replaced atomically.
/// - Parameter metadata: Extra `__metadata__` entries; `"format": "pt"` is added unless given.
/// - Throws: ``CheckpointError/duplicateName(_:)``, ``CheckpointError/reservedName(_:)``,
///   ``CheckpointError/unsupportedScalarType(_:)`` (a `Bool` tensor), or
///   ``CheckpointError/io(source:reason:)`` when the file cannot be written.
public func saveSafetensors(
    _ named: [(String, any TensorProtocol)], to url: URL, metadata: [String: String] = [:]
) throws(CheckpointError) {
    let bytes = try encodeSafetensors(named, metadata: metadata)
    do {
        try Data(bytes).write(to: url, options: .atomic)
    } catch {
        throw .io(source: displayName(url), reason: "cannot write the file: \(error)")
    }
}

/// ``saveSafetensors(_:to:metadata:)`` for tensors of one element type (`namedParameters`).
@_documentation(visibility: internal)
public func saveSafetensors<S: TensorScalar>(
    _ named: [(String, Tensor<S>)], to url: URL, metadata: [String: String] = [:]
) throws(CheckpointError) {
    try saveSafetensors(erased(named), to: url, metadata: metadata)
}

/// The safetensors encoding of `named` tensors, as ``saveSafetensors(_:to:metadata:)`` writes it.
public func encodeSafetensors(
    _ named: [(String, any TensorProtocol)], metadata: [String: String] = [:]
) throws(CheckpointError) -> [UInt8] {
    try checkParameterNames(named.map(\.0))
    var dtypes: [String] = []
    for (_, tensor) in named { dtypes.append(try tensor.checkpointDtype()) }
    // The reference implementation's order: dtypes in reverse declaration order, then names.
    let order = named.indices.sorted {
        let (a, b) = (dtypeRank[dtypes[$0]]!, dtypeRank[dtypes[$1]]!)
        return a != b ? a > b : named[$0].0.utf8.lexicographicallyPrecedes(named[$1].0.utf8)
    }

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
        let size = tensor.checkpointByteCount
        header.append(UInt8(ascii: ","))
        appendJSONString(name, to: &header)
        header.append(contentsOf: ":{\"dtype\":\"\(dtypes[i])\",\"shape\":[".utf8)
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
    for i in order { named[i].1.appendCheckpointBytes(to: &out) }
    return out
}

/// ``encodeSafetensors(_:metadata:)`` for tensors of one element type (`namedParameters`).
@_documentation(visibility: internal)
public func encodeSafetensors<S: TensorScalar>(
    _ named: [(String, Tensor<S>)], metadata: [String: String] = [:]
) throws(CheckpointError) -> [UInt8] {
    try encodeSafetensors(erased(named), metadata: metadata)
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
/// other, each with its tensor's dtype, `F32` for `Float`, `F64` for `Double`, `I64` for `Int`,
/// and its tensor's shape). The tensors may mix element types, as a module's
/// ``ModuleBase/stateDict`` does; a list of one element type is taken as it is.
///
/// - Throws: ``CheckpointError`` naming the first problem found; then no tensor has changed.
public func loadSafetensors(into named: [(String, any TensorProtocol)], from url: URL) throws(CheckpointError) {
    let (bytes, source) = try readCheckpointFile(url)
    try loadNamedTensors(into: named, bytes: bytes, source: source, strict: true)
}

/// ``loadSafetensors(into:from:)`` for tensors of one element type (`namedParameters`).
@_documentation(visibility: internal)
public func loadSafetensors<S: TensorScalar>(into named: [(String, Tensor<S>)], from url: URL) throws(CheckpointError) {
    try loadSafetensors(into: erased(named), from: url)
}

/// ``loadSafetensors(into:from:)`` from bytes in memory (for example from
/// ``encodeSafetensors(_:metadata:)``); `source` names the bytes in errors.
public func loadSafetensors(
    into named: [(String, any TensorProtocol)], bytes: some Collection<UInt8>, source: String = "<memory>"
) throws(CheckpointError) {
    try loadNamedTensors(into: named, bytes: Array(bytes), source: source, strict: true)
}

/// ``loadSafetensors(into:bytes:source:)`` for tensors of one element type (`namedParameters`).
@_documentation(visibility: internal)
public func loadSafetensors<S: TensorScalar>(
    into named: [(String, Tensor<S>)], bytes: some Collection<UInt8>, source: String = "<memory>"
) throws(CheckpointError) {
    try loadSafetensors(into: erased(named), bytes: bytes, source: source)
}

// MARK: - Helpers

/// Checks the file, then its match with `named`, then writes: a strict load throws for the first
/// name either side lacks; a lenient one skips those and returns them.
@discardableResult
func loadNamedTensors(
    into named: [(String, any TensorProtocol)], bytes: [UInt8], source: String, strict: Bool
) throws(CheckpointError) -> (missingKeys: [String], unexpectedKeys: [String]) {
    let file = try SafetensorsFile(bytes: bytes, source: source)
    try checkParameterNames(named.map(\.0))

    var byName: [[UInt8]: SafetensorsFile.Entry] = [:]
    for entry in file.entries { byName[Array(entry.name.utf8)] = entry }
    var matched: [(any TensorProtocol, SafetensorsFile.Entry)] = []
    var missing: [String] = []
    for (name, tensor) in named {
        let dtype = try tensor.checkpointDtype()
        guard let entry = byName[Array(name.utf8)] else {
            if strict { throw .missingTensor(source: source, tensor: name) }
            missing.append(name)
            continue
        }
        guard entry.dtype == dtype else {
            throw .dtypeMismatch(source: source, tensor: name, expected: dtype, found: entry.dtype)
        }
        guard entry.shape == tensor.shape else {
            throw .shapeMismatch(source: source, tensor: name, expected: tensor.shape, found: entry.shape)
        }
        matched.append((tensor, entry))
    }
    let names = Set(named.map { Array($0.0.utf8) })
    var unexpected: [String] = []
    for entry in file.entries where !names.contains(Array(entry.name.utf8)) {
        if strict { throw .unexpectedTensor(source: source, tensor: entry.name) }
        unexpected.append(entry.name)
    }

    // Every check passed: nothing below can fail.
    for (tensor, entry) in matched {
        tensor.readCheckpointBytes(bytes, from: file.dataStart + entry.begin, to: file.dataStart + entry.end)
    }
    return (missing, unexpected)
}

func readCheckpointFile(_ url: URL) throws(CheckpointError) -> (bytes: [UInt8], source: String) {
    let source = displayName(url)
    do {
        return ([UInt8](try Data(contentsOf: url)), source)
    } catch {
        throw .io(source: source, reason: "cannot read the file: \(error)")
    }
}

func displayName(_ url: URL) -> String { url.isFileURL ? url.path : url.absoluteString }

/// The safetensors dtype of an element type: `F32` for `Float`, `F64` for `Double`, `I64` for
/// `Int` (64 bits on every platform Swift supports here).
func safetensorsDtype<S: TensorElement>(of _: S.Type) throws(CheckpointError) -> String {
    if S.self == Float.self { return "F32" }
    if S.self == Double.self { return "F64" }
    if S.self == Int.self && MemoryLayout<Int>.size == 8 { return "I64" }
    throw .unsupportedScalarType(String(describing: S.self))
}

/// Where the reference implementation's `Dtype` declares the dtypes written here: files list the
/// tensors of the last-declared dtype first (`right.dtype().cmp(&left.dtype())`).
let dtypeRank: [String: Int] = ["F32": 0, "F64": 1, "I64": 2]

func erased<S: TensorScalar>(_ named: [(String, Tensor<S>)]) -> [(String, any TensorProtocol)] {
    named.map { ($0.0, $0.1) }
}

extension TensorProtocol {
    func checkpointDtype() throws(CheckpointError) -> String { try safetensorsDtype(of: Scalar.self) }

    var checkpointByteCount: Int { data.count * MemoryLayout<Scalar>.stride }

    /// The elements, row-major and little-endian.
    func appendCheckpointBytes(to out: inout [UInt8]) {
        data.contiguous().withElements { scalars in
            let start = out.count
            out.append(contentsOf: UnsafeRawBufferPointer(scalars))
            #if _endian(big)
            swapElementBytes(&out, from: start, elementSize: MemoryLayout<Scalar>.size)
            #else
            _ = start
            #endif
        }
    }

    /// Overwrites the elements with `bytes[begin..<end]` (checked to hold exactly this shape of
    /// this dtype), in place and unrecorded.
    func readCheckpointBytes(_ bytes: [UInt8], from begin: Int, to end: Int) {
        let values = DenseTensor<Scalar>(uninitializedShape: shape)
        values.withMutableElements { scalars in
            let destination = UnsafeMutableRawBufferPointer(scalars)
            bytes.withUnsafeBytes { raw in
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[begin..<end]))
            }
            #if _endian(big)
            swapElementBytes(destination, elementSize: MemoryLayout<Scalar>.size)
            #endif
        }
        data.copy(from: values)
    }
}

func checkParameterNames(_ names: [String]) throws(CheckpointError) {
    var seen = Set<[UInt8]>()
    for name in names {
        let key = Array(name.utf8)
        if key == Array(metadataKey.utf8) { throw .reservedName(name) }
        if !seen.insert(key).inserted { throw .duplicateName(name) }
    }
}

let metadataKey = "__metadata__"

/// A JSON string as serde_json writes it: `"` `\` and control characters escaped, nothing else.
func appendJSONString(_ string: String, to out: inout [UInt8]) {
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
func swapElementBytes(_ bytes: inout [UInt8], from start: Int, elementSize: Int) {
    var i = start
    while i + elementSize <= bytes.count {
        bytes[i..<(i + elementSize)].reverse()
        i += elementSize
    }
}

func swapElementBytes(_ bytes: UnsafeMutableRawBufferPointer, elementSize: Int) {
    var i = 0
    while i + elementSize <= bytes.count {
        var lo = i, hi = i + elementSize - 1
        while lo < hi { bytes.swapAt(lo, hi); lo += 1; hi -= 1 }
        i += elementSize
    }
}
#endif
