#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// MARK: - Parsing the header

/// The JSON header, parsed strictly (RFC 8259) against the safetensors schema as it is read:
/// duplicate keys are rejected in every object, unknown fields of a tensor's entry are skipped
/// (as the reference implementation skips them) without being kept, nesting is at most
/// ``maxDepth`` deep so that no input can exhaust the stack, and every read is bounds-checked.
struct HeaderParser {
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
