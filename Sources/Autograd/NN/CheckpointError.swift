/// Why a safetensors checkpoint could not be saved or loaded.
///
/// Every case names where the bytes came from (`source`: the file's path, or the name given to
/// an in-memory load) and, where there is one, the tensor concerned, with what was expected and
/// what was found. A load that throws has changed no parameter.
///
/// ```swift
/// do {
///     try model.load(from: url)
/// } catch let error as CheckpointError {
///     print(error)   // model.safetensors: tensor "0.weight" has shape [4, 3] in the file, the parameter has shape [3, 4]
/// }
/// ```
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    // MARK: Reading and writing files

    /// The file could not be read or written (`reason` is the system's message).
    case io(source: String, reason: String)

    // MARK: The layout of the bytes

    /// Fewer than the 8 bytes that hold the header size.
    case fileTooSmall(source: String, byteCount: Int)
    /// The header size is beyond the format's limit (100 MB, as in the reference implementation).
    case headerTooLarge(source: String, headerSize: UInt64, limit: Int)
    /// The header size points past the end of the bytes (a truncated file, or a corrupt size).
    case headerOutOfBounds(source: String, headerSize: UInt64, byteCount: Int)
    /// The header is not UTF-8 JSON of the expected form (`reason` says what is wrong, and where).
    case invalidHeader(source: String, reason: String)
    /// A tensor's dtype is not one the safetensors format defines.
    case unsupportedDtype(source: String, tensor: String, dtype: String)
    /// A tensor's element count or byte size does not fit in an `Int`.
    case sizeOverflow(source: String, tensor: String, shape: [UInt64])
    /// A tensor's `data_offsets` are reversed or reach past the end of the data region.
    case offsetsOutOfRange(source: String, tensor: String, begin: UInt64, end: UInt64, dataByteCount: Int)
    /// A tensor's byte range does not have the size its dtype and shape require.
    case dataSizeMismatch(source: String, tensor: String, dtype: String, shape: [Int], expectedBytes: Int, foundBytes: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(source: String, tensor: String, other: String)
    /// Bytes of the data region that no tensor covers: a gap between tensors, or trailing bytes
    /// after the last one (the format requires the tensors to cover the data region exactly).
    case uncoveredBytes(source: String, begin: Int, end: Int)

    // MARK: Matching the model

    /// The file has no tensor for a parameter or buffer (PyTorch: "Missing key(s) in state_dict").
    case missingTensor(source: String, tensor: String)
    /// The file has a tensor that no parameter or buffer is named after (PyTorch: "Unexpected
    /// key(s) in state_dict").
    case unexpectedTensor(source: String, tensor: String)
    /// A tensor's dtype differs from its parameter's or buffer's (`F32` for `Float`, `F64` for
    /// `Double`, `I64` for `Int`). PyTorch's `load_state_dict` would convert; a file of the
    /// wrong precision is refused here, as a sign of the wrong file.
    case dtypeMismatch(source: String, tensor: String, expected: String, found: String)
    /// A tensor's shape differs from its parameter's or buffer's (PyTorch: "size mismatch for
    /// ...").
    case shapeMismatch(source: String, tensor: String, expected: [Int], found: [Int])

    // MARK: The parameters themselves

    /// Two parameters have the same name, so a file cannot tell them apart.
    case duplicateName(String)
    /// A parameter name the format reserves (`__metadata__`).
    case reservedName(String)
    /// The element type has no safetensors dtype here (only `Float`, `Double` and `Int` have one).
    case unsupportedScalarType(String)

    /// A one-line message that starts with the source (except for the name cases, which have none)
    /// and names the tensor, what was expected and what was found, as in the example above.
    public var description: String {
        switch self {
        case let .io(source, reason):
            return "\(source): \(reason)"
        case let .fileTooSmall(source, byteCount):
            return "\(source): \(byteCount) bytes is too short for a safetensors file, which starts with an 8-byte header size"
        case let .headerTooLarge(source, headerSize, limit):
            return "\(source): the header size is \(headerSize) bytes, more than the limit of \(limit) bytes; the file is corrupt or not a safetensors file"
        case let .headerOutOfBounds(source, headerSize, byteCount):
            return "\(source): the header size is \(headerSize) bytes but the file has only \(max(byteCount - 8, 0)) bytes after the 8-byte size; the file is truncated or corrupt"
        case let .invalidHeader(source, reason):
            return "\(source): invalid safetensors header: \(reason)"
        case let .unsupportedDtype(source, tensor, dtype):
            return "\(source): tensor \"\(tensor)\" has dtype \"\(dtype)\", which is not a safetensors dtype"
        case let .sizeOverflow(source, tensor, shape):
            return "\(source): tensor \"\(tensor)\" has shape \(shape), whose size overflows"
        case let .offsetsOutOfRange(source, tensor, begin, end, dataByteCount):
            if begin > end {
                return "\(source): tensor \"\(tensor)\" has data_offsets [\(begin), \(end)], which end before they begin"
            }
            return "\(source): tensor \"\(tensor)\" has data_offsets [\(begin), \(end)] but the data region has only \(dataByteCount) bytes; the file is truncated or corrupt"
        case let .dataSizeMismatch(source, tensor, dtype, shape, expectedBytes, foundBytes):
            return "\(source): tensor \"\(tensor)\" (\(dtype), shape \(shape)) needs \(expectedBytes) bytes but its data_offsets span \(foundBytes) bytes"
        case let .overlappingTensors(source, tensor, other):
            return "\(source): the data of tensors \"\(other)\" and \"\(tensor)\" overlap"
        case let .uncoveredBytes(source, begin, end):
            return "\(source): bytes \(begin)..<\(end) of the data region belong to no tensor (the tensors must cover the data region exactly)"
        case let .missingTensor(source, tensor):
            return "\(source): Missing key(s) in state_dict: \"\(tensor)\" (the file has no tensor of that name)"
        case let .unexpectedTensor(source, tensor):
            return "\(source): Unexpected key(s) in state_dict: \"\(tensor)\" (the file has a tensor of that name, the model no parameter or buffer)"
        case let .dtypeMismatch(source, tensor, expected, found):
            return "\(source): tensor \"\(tensor)\" has dtype \(found) in the file, the parameter is \(expected)"
        case let .shapeMismatch(source, tensor, expected, found):
            return "\(source): tensor \"\(tensor)\" has shape \(found) in the file, the parameter has shape \(expected)"
        case let .duplicateName(name):
            return "two parameters are named \"\(name)\"; names must be unique to save or load them"
        case let .reservedName(name):
            return "a parameter is named \"\(name)\", a name the safetensors format reserves"
        case let .unsupportedScalarType(type):
            return "\(type) has no safetensors dtype; only Float (F32), Double (F64) and Int (I64) tensors can be saved"
        }
    }
}
