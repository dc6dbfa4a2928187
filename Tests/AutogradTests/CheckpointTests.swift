import Foundation
import XCTest
import Autograd
import _TestSupport

/// Saving and loading parameters in the safetensors format: round trips, the golden files that
/// Python's `safetensors` wrote (`Tests/Fixtures/make_safetensors_fixture.py`), and every kind of
/// bad file, each of which must be rejected with its error case and leave the model untouched.
final class CheckpointTests: XCTestCase {
    // MARK: Helpers

    private static let fixtures = Fixtures.directory

    /// Linear(3, 4) → ReLU → Linear(4, 2), the model of the golden files.
    private func mlp<S: TensorScalar>(_: S.Type = Float.self, seed: UInt64) -> Sequential<S> {
        var generator = RandomGenerator(seed: seed)
        return Sequential<S>(Linear(inFeatures: 3, outFeatures: 4, using: &generator), ReLU(),
                             Linear(inFeatures: 4, outFeatures: 2, using: &generator))
    }

    /// Every parameter's bytes, to compare bit for bit.
    private func snapshot<M: Module>(_ model: M) -> [[UInt8]] {
        model.parameters.map { $0.scalars.withUnsafeBytes { Array($0) } }
    }

    private func temporaryURL(_ name: String = "model.safetensors") -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("CheckpointTests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory.appendingPathComponent(name)
    }

    /// A file from a header text and data bytes; the header size is the text's, unless given.
    private func file(_ header: String, _ data: [UInt8] = [], headerSize: UInt64? = nil) -> [UInt8] {
        let h = Array(header.utf8)
        var out: [UInt8] = []
        withUnsafeBytes(of: (headerSize ?? UInt64(h.count)).littleEndian) { out.append(contentsOf: $0) }
        return out + h + data
    }

    private func floats(_ values: [Float]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

    /// The enum case's name, e.g. "fileTooSmall".
    private func caseName(_ error: CheckpointError) -> String {
        Mirror(reflecting: error).children.first?.label ?? "\(error)"
    }

    /// Loading `bytes` into `model` throws `expected` and changes no parameter bit.
    @discardableResult
    private func assertRejected<M: Module>(
        _ bytes: [UInt8], into model: M, _ expected: String, _ message: String = "",
        file: StaticString = #filePath, line: UInt = #line
    ) -> CheckpointError? {
        let before = snapshot(model)
        defer { XCTAssertEqual(snapshot(model), before, "\(message): a failed load changed the model", file: file, line: line) }
        do {
            try model.load(safetensorsBytes: bytes, source: "test.safetensors")
            XCTFail("\(message): loaded, expected \(expected)", file: file, line: line)
            return nil
        } catch {
            XCTAssertEqual(caseName(error), expected, "\(message): \(error)", file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix("test.safetensors: "), "\(error)", file: file, line: line)
            return error
        }
    }

    // MARK: Round trips

    private func roundTrip<S: TensorScalar>(_ type: S.Type) throws {
        let saved = mlp(S.self, seed: 0)
        let restored = mlp(S.self, seed: 1)
        XCTAssertNotEqual(snapshot(saved), snapshot(restored))
        let identities = restored.parameters.map(ObjectIdentifier.init)

        let url = temporaryURL()
        try saved.save(to: url)
        try restored.load(from: url)
        XCTAssertEqual(snapshot(restored), snapshot(saved))
        // In place: the same tensors, still leaves that require grad, and training still works.
        XCTAssertEqual(restored.parameters.map(ObjectIdentifier.init), identities)
        XCTAssertTrue(restored.parameters.allSatisfy { $0.requiresGrad && $0.isLeaf })
        try restored(Tensor<S>.ones([2, 3])).sum().backward()
        XCTAssertTrue(restored.parameters.allSatisfy { $0.grad != nil })

        // In memory, and the file holds exactly those bytes.
        let bytes = try saved.safetensorsBytes()
        XCTAssertEqual(Array(try Data(contentsOf: url)), bytes)
        let third = mlp(S.self, seed: 2)
        try third.load(safetensorsBytes: bytes)
        XCTAssertEqual(snapshot(third), snapshot(saved))
        try third.load(safetensorsBytes: Data(bytes))
        XCTAssertEqual(snapshot(third), snapshot(saved))
    }

    func testRoundTripFloat() throws { try roundTrip(Float.self) }
    func testRoundTripDouble() throws { try roundTrip(Double.self) }

    func testRoundTripKeepsSpecialValuesBitForBit() throws {
        let specials: [Float] = [0, -0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude, Float(bitPattern: 0x0001_0203)]
        let t = try Tensor<Float>(specials, shape: [2, 4])
        let u = Tensor<Float>.zeros([2, 4])
        try loadSafetensors(into: [("t", u)], bytes: try encodeSafetensors([("t", t)]))
        XCTAssertEqual(u.scalars.map(\.bitPattern), specials.map(\.bitPattern))
    }

    func testZeroDimensionalAndEmptyTensors() throws {
        let named = [("scalar", Tensor<Double>(2.5)), ("empty", Tensor<Double>.zeros([0, 3])), ("v", Tensor<Double>([1, 2]))]
        let bytes = try encodeSafetensors(named)
        let target = [("scalar", Tensor<Double>(0)), ("empty", Tensor<Double>.zeros([0, 3])), ("v", Tensor<Double>([0, 0]))]
        try loadSafetensors(into: target, bytes: bytes)
        XCTAssertEqual(target[0].1.scalars, [2.5])
        XCTAssertEqual(target[2].1.scalars, [1, 2])
    }

    func testLayout() throws {
        let model = mlp(Float.self, seed: 0)
        let bytes = try model.safetensorsBytes()
        var size: UInt64 = 0
        for i in (0..<8).reversed() { size = size << 8 | UInt64(bytes[i]) }
        XCTAssertEqual(size % 8, 0, "header padded to a multiple of 8")
        let header = String(decoding: bytes[8..<(8 + Int(size))], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"__metadata__":{"format":"pt"},"0.bias":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"0.weight":{"dtype":"F32","shape":[4,3],"data_offsets":[16,64]},"#), header)
        XCTAssertEqual(bytes.count, 8 + Int(size) + 4 * model.parameterCount)
        // The data region holds the scalars, little-endian, in name order.
        let layer = model.layers[0] as! Linear<Float>
        XCTAssertEqual(Array(bytes[(8 + Int(size))..<(8 + Int(size) + 16)]), floats(layer.bias!.scalars))

        let withMetadata = try encodeSafetensors(model.namedParameters, metadata: ["step": "10", "format": "mine", "a\"b": "\n"])
        let text = String(decoding: withMetadata, as: UTF8.self)
        XCTAssertTrue(text.contains(#"{"__metadata__":{"a\"b":"\n","format":"mine","step":"10"},"#), text)
        try model.load(safetensorsBytes: withMetadata)
    }

    // MARK: Golden files written by Python's safetensors

    private struct GoldenTensor: Decodable {
        let shape: [Int]
        let values: [String]
    }

    private func goldenValues() throws -> [String: [String: GoldenTensor]] {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("safetensors_values.json"))
        return try JSONDecoder().decode([String: [String: GoldenTensor]].self, from: data)
    }

    private func golden<S: TensorScalar>(_ name: String, _: S.Type) throws {
        let url = Self.fixtures.appendingPathComponent(name)
        let expected = try XCTUnwrap(goldenValues()[name])
        let model = mlp(S.self, seed: 7)
        try model.load(from: url)
        XCTAssertEqual(Set(model.namedParameters.map(\.0)), Set(expected.keys))
        for (key, tensor) in model.namedParameters {
            let e = try XCTUnwrap(expected[key])
            XCTAssertEqual(tensor.shape, e.shape, key)
            XCTAssertSameBits(tensor.scalars, e.values.map { S(Double($0)!) }, key)
        }
        // Written back, the bytes are the reference implementation's, byte for byte.
        XCTAssertEqual(try model.safetensorsBytes(), Array(try Data(contentsOf: url)), name)
    }

    func testGoldenFloatFile() throws { try golden("mlp_f32.safetensors", Float.self) }
    func testGoldenDoubleFile() throws { try golden("mlp_f64.safetensors", Double.self) }

    func testGoldenFileWithUnusualNamesAndShapes() throws {
        let name = "misc_f32.safetensors"
        let expected = try XCTUnwrap(goldenValues()[name])
        let named = expected.map { ($0.key, Tensor<Float>.zeros($0.value.shape)) }
        try loadSafetensors(into: named, from: Self.fixtures.appendingPathComponent(name))
        for (key, tensor) in named {
            XCTAssertSameBits(tensor.scalars, expected[key]!.values.map { Float($0)! }, key)
        }
        XCTAssertTrue(named.contains { $0.0 == "na\u{EF}ve \"q\" \\ \t\u{01}" })
        XCTAssertEqual(try encodeSafetensors(named), Array(try Data(contentsOf: Self.fixtures.appendingPathComponent(name))))
    }

    // MARK: Bad files

    func testTruncatedFiles() throws {
        let model = mlp(Float.self, seed: 3)
        let good = try mlp(Float.self, seed: 4).safetensorsBytes()
        var size = 0
        for i in (0..<8).reversed() { size = size << 8 | Int(good[i]) }
        for length in [0, 1, 4, 7] {
            assertRejected(Array(good.prefix(length)), into: model, "fileTooSmall", "cut at \(length)")
        }
        for length in [8, 9, 20, 8 + size / 2, 8 + size - 1] {
            assertRejected(Array(good.prefix(length)), into: model, "headerOutOfBounds", "cut at \(length)")
        }
        for length in [8 + size, 8 + size + 1, 8 + size + 16, good.count - 4, good.count - 1] {
            assertRejected(Array(good.prefix(length)), into: model, "offsetsOutOfRange", "cut at \(length)")
        }
        try model.load(safetensorsBytes: good)
    }

    func testTrailingBytesAndGaps() {
        let model = Linear<Float>(weight: .zeros([1, 2]), bias: nil)
        let good = file(#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#, floats([1, 2]))
        let error = assertRejected(good + [0], into: model, "uncoveredBytes")
        XCTAssertEqual(error, .uncoveredBytes(source: "test.safetensors", begin: 8, end: 9))
        assertRejected(file(#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[4,12]}}"#, floats([0, 1, 2])),
                       into: model, "uncoveredBytes", "gap before the first tensor")
        assertRejected(file(#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"x":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#,
                            floats([1, 2, 0, 3])),
                       into: model, "uncoveredBytes", "gap between tensors")
        XCTAssertNoThrow(try model.load(safetensorsBytes: good))
        XCTAssertEqual(model.weight.scalars, [1, 2])
    }

    func testCorruptHeaders() throws {
        let model = Linear<Float>(weight: .ones([1, 2]), bias: nil)
        let data = floats([1, 2])
        let cases: [(String, String)] = [
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}"#, "unterminated object"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}x"#, "trailing text"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8],}}"#, "trailing comma"),
            (#"{'weight':{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#, "single quotes"),
            (#"["weight"]"#, "an array"),
            (#""weight""#, "a string"),
            (#"null"#, "null"),
            ("", "empty"),
            ("        ", "only spaces"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#, "duplicate tensor"),
            (#"{"weight":{"dtype":"F32","dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#, "duplicate field"),
            (#"{"weight":{"shape":[1,2],"data_offsets":[0,8]}}"#, "no dtype"),
            (#"{"weight":{"dtype":"F32","data_offsets":[0,8]}}"#, "no shape"),
            (#"{"weight":{"dtype":"F32","shape":[1,2]}}"#, "no offsets"),
            (#"{"weight":{"dtype":32,"shape":[1,2],"data_offsets":[0,8]}}"#, "dtype not a string"),
            (#"{"weight":{"dtype":"F32","shape":[1,-2],"data_offsets":[0,8]}}"#, "negative dim"),
            (#"{"weight":{"dtype":"F32","shape":[1,2.0],"data_offsets":[0,8]}}"#, "fractional dim"),
            (#"{"weight":{"dtype":"F32","shape":[1,2e0],"data_offsets":[0,8]}}"#, "exponent dim"),
            (#"{"weight":{"dtype":"F32","shape":[1,02],"data_offsets":[0,8]}}"#, "leading zero"),
            (#"{"weight":{"dtype":"F32","shape":"12","data_offsets":[0,8]}}"#, "shape not an array"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8,8]}}"#, "three offsets"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,18446744073709551616]}}"#, "offset beyond UInt64"),
            (#"{"weight":[1,2]}"#, "entry not an object"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"__metadata__":{"a":1}}"#, "metadata not strings"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"__metadata__":[]}"#, "metadata not an object"),
            (#"{"weight":{"dtype":"F\u0033\ud800","shape":[1,2],"data_offsets":[0,8]}}"#, "lone surrogate"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"a\x":{}}"#, "bad escape"),
            ("{\"weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},\"a\u{01}\":{}}", "raw control character"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"x":"#, "unexpected end"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"x":tru}"#, "bad literal"),
            (String(repeating: "[", count: 100_000), "deeply nested"),
            (nested(63), "nested 65 deep"),
        ]
        for (header, what) in cases {
            assertRejected(file(header, data), into: model, "invalidHeader", what)
        }
        // Not UTF-8.
        var bytes = file(#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#, data)
        bytes[12] = 0xFF
        assertRejected(bytes, into: model, "invalidHeader", "invalid UTF-8")

        // Nesting up to 64 deep is fine.
        try model.load(safetensorsBytes: file(nested(62), data))

        // What the format allows: whitespace, escapes, unknown fields, null metadata, any key order.
        let fine = #" { "__metadata__" : null , "w\u0065ight" : { "data_offsets" : [ 0 , 8 ] , "extra" : [{"a": [true, false, null, -1.5e3]}], "shape" : [1,2], "dtype":"F32" } }  "#
        try model.load(safetensorsBytes: file(fine, data))
        XCTAssertEqual(model.weight.scalars, [1, 2])
    }

    /// A valid header whose tensor has an unknown field holding `depth` nested arrays (the whole
    /// header then nests `depth + 2` deep).
    private func nested(_ depth: Int) -> String {
        #"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8],"extra":"#
            + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}}"
    }

    func testWrongDtype() throws {
        let floatModel = mlp(Float.self, seed: 5)
        let doubleBytes = try mlp(Double.self, seed: 6).safetensorsBytes()
        let error = assertRejected(doubleBytes, into: floatModel, "dtypeMismatch")
        XCTAssertEqual(error, .dtypeMismatch(source: "test.safetensors", tensor: "0.weight", expected: "F32", found: "F64"))
        assertRejected(try floatModel.safetensorsBytes(), into: mlp(Double.self, seed: 6), "dtypeMismatch")

        let model = Linear<Float>(weight: .ones([1, 2]), bias: nil)
        assertRejected(file(#"{"weight":{"dtype":"F16","shape":[1,2],"data_offsets":[0,4]}}"#, [0, 60, 0, 64]),
                       into: model, "dtypeMismatch", "F16")
        assertRejected(file(#"{"weight":{"dtype":"I32","shape":[1,2],"data_offsets":[0,8]}}"#, floats([1, 2])),
                       into: model, "dtypeMismatch", "I32")
        assertRejected(file(#"{"weight":{"dtype":"F128","shape":[1,2],"data_offsets":[0,32]}}"#, Array(repeating: 0, count: 32)),
                       into: model, "unsupportedDtype", "F128")
        assertRejected(file(#"{"weight":{"dtype":"f32","shape":[1,2],"data_offsets":[0,8]}}"#, floats([1, 2])),
                       into: model, "unsupportedDtype", "lower case")
        // A dtype whose size does not match the byte range.
        assertRejected(file(#"{"weight":{"dtype":"F64","shape":[1,2],"data_offsets":[0,8]}}"#, floats([1, 2])),
                       into: model, "dataSizeMismatch", "F64 in 8 bytes")
    }

    func testWrongShape() throws {
        let saved = Sequential<Float>(Linear(inFeatures: 3, outFeatures: 4), ReLU(), Linear(inFeatures: 4, outFeatures: 2))
        let other = Sequential<Float>(Linear(inFeatures: 4, outFeatures: 3), ReLU(), Linear(inFeatures: 3, outFeatures: 2))
        let error = assertRejected(try saved.safetensorsBytes(), into: other, "shapeMismatch")
        XCTAssertEqual(error, .shapeMismatch(source: "test.safetensors", tensor: "0.weight", expected: [3, 4], found: [4, 3]))
        XCTAssertEqual(error?.description, #"test.safetensors: tensor "0.weight" has shape [4, 3] in the file, the parameter has shape [3, 4]"#)

        let model = Linear<Float>(weight: .ones([1, 2]), bias: nil)
        assertRejected(file(#"{"weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, floats([1, 2])),
                       into: model, "shapeMismatch", "rank")
        assertRejected(file(#"{"weight":{"dtype":"F32","shape":[1,2,1],"data_offsets":[0,8]}}"#, floats([1, 2])),
                       into: model, "shapeMismatch", "extra dimension")
        assertRejected(file(#"{"weight":{"dtype":"F32","shape":[1,3],"data_offsets":[0,8]}}"#, floats([1, 2])),
                       into: model, "dataSizeMismatch", "shape larger than its bytes")
    }

    func testMissingAndUnexpectedTensors() throws {
        let withBias = Linear<Float>(inFeatures: 2, outFeatures: 2)
        let withoutBias = Linear<Float>(inFeatures: 2, outFeatures: 2, bias: false)
        var error = assertRejected(try withoutBias.safetensorsBytes(), into: withBias, "missingTensor")
        XCTAssertEqual(error, .missingTensor(source: "test.safetensors", tensor: "bias"))
        error = assertRejected(try withBias.safetensorsBytes(), into: withoutBias, "unexpectedTensor")
        XCTAssertEqual(error, .unexpectedTensor(source: "test.safetensors", tensor: "bias"))
        // Names are matched byte for byte ("e\u{301}" and "\u{E9}" are equal Swift strings).
        let t = Tensor<Float>([1])
        XCTAssertThrowsError(try loadSafetensors(into: [("caf\u{E9}", t)], bytes: try encodeSafetensors([("cafe\u{301}", Tensor<Float>([2]))]))) {
            XCTAssertEqual(self.caseName($0 as! CheckpointError), "missingTensor")
        }
        XCTAssertEqual(t.scalars, [1])
        // An empty file (no tensor) for a model with parameters.
        assertRejected(file("{}      "), into: withBias, "missingTensor")
    }

    func testBadOffsets() {
        let model = Linear<Float>(weight: .ones([1, 2]), bias: Tensor<Float>([5]))
        let data = floats([1, 2, 3])
        let cases: [(String, String, String)] = [
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"bias":{"dtype":"F32","shape":[1],"data_offsets":[8,16]}}"#, "offsetsOutOfRange", "end past the data"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"bias":{"dtype":"F32","shape":[1],"data_offsets":[12,8]}}"#, "offsetsOutOfRange", "reversed"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"bias":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551615,18446744073709551615]}}"#, "offsetsOutOfRange", "huge"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, "overlappingTensors", "overlap"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[4,12]},"bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "overlappingTensors", "same range"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,12]},"bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#, "dataSizeMismatch", "range too long"),
            (#"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"bias":{"dtype":"F32","shape":[1],"data_offsets":[8,8]}}"#, "dataSizeMismatch", "range too short"),
        ]
        for (header, expected, what) in cases {
            assertRejected(file(header, data), into: model, expected, what)
        }
        let error = assertRejected(file(cases[0].0, data), into: model, "offsetsOutOfRange")
        XCTAssertEqual(error, .offsetsOutOfRange(source: "test.safetensors", tensor: "bias", begin: 8, end: 16, dataByteCount: 12))
        // The reference implementation's order (sorted by offset), not the header's, is fine.
        let swapped = #"{"bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#
        XCTAssertNoThrow(try model.load(safetensorsBytes: file(swapped, data)))
        XCTAssertEqual(model.weight.scalars + model.bias!.scalars, [1, 2, 3])
    }

    func testHeaderSizeOverflow() {
        let model = Linear<Float>(weight: .ones([1, 2]), bias: nil)
        let header = #"{"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#
        let data = floats([1, 2])
        for size: UInt64 in [.max, 1 << 63, 1 << 32 + 8, 100_000_001] {
            assertRejected(file(header, data, headerSize: size), into: model, "headerTooLarge", "size \(size)")
        }
        let n = UInt64(header.utf8.count)
        for size: UInt64 in [n + 9, 100_000_000] {
            assertRejected(file(header, data, headerSize: size), into: model, "headerOutOfBounds", "size \(size)")
        }
        // A header size that ends inside the JSON, or includes data bytes.
        assertRejected(file(header, data, headerSize: n - 1), into: model, "invalidHeader")
        assertRejected(file(header, data, headerSize: n + 4), into: model, "invalidHeader")
    }

    func testShapeSizeOverflow() {
        let model = Linear<Float>(weight: .ones([1, 2]), bias: nil)
        let shapes = ["[4611686018427387904,4]", "[18446744073709551615]", "[9223372036854775807,2]",
                      "[2305843009213693952]", "[65536,65536,65536,65536]"]
        for shape in shapes {
            let header = #"{"weight":{"dtype":"F32","shape":\#(shape),"data_offsets":[0,8]}}"#
            assertRejected(file(header, floats([1, 2])), into: model, "sizeOverflow", shape)
        }
        // A dimension beyond Int.max cannot be a shape, even beside a zero.
        assertRejected(file(#"{"weight":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,8]}}"#, floats([1, 2])),
                       into: model, "sizeOverflow", "huge dimension beside a zero")
    }

    /// Mutated and random bytes never crash the reader; a rejected load changes nothing.
    func testFuzzedFilesNeverCrash() throws {
        let model = mlp(Float.self, seed: 8)
        let good = try mlp(Float.self, seed: 9).safetensorsBytes()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {   // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var outcomes: [String: Int] = [:]
        for trial in 0..<3000 {
            var bytes = good
            let edits = 1 + Int(next() % 4)
            for _ in 0..<edits {
                let i = Int(next() % UInt64(bytes.count))
                switch next() % 6 {
                case 0: bytes[i] ^= UInt8(1 << (next() % 8))
                case 1: bytes[i] = UInt8(truncatingIfNeeded: next())
                case 2: bytes.removeSubrange(i...)
                case 3: bytes.insert(UInt8(truncatingIfNeeded: next()), at: i)
                case 4: bytes.remove(at: i)
                default: bytes[i] = [UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "\""), UInt8(ascii: "["), UInt8(ascii: "9"), UInt8(ascii: ","), UInt8(ascii: "\\")][Int(next() % 7)]
                }
                if bytes.isEmpty { break }
            }
            if trial % 10 == 0 { bytes = (0..<Int(next() % 64)).map { _ in UInt8(truncatingIfNeeded: next()) } }
            let before = snapshot(model)
            do {
                try model.load(safetensorsBytes: bytes)
                outcomes["loaded", default: 0] += 1
                try model.load(safetensorsBytes: good)   // reset
            } catch {
                outcomes[caseName(error), default: 0] += 1
                XCTAssertEqual(snapshot(model), before, "trial \(trial): \(error)")
            }
        }
        print("CheckpointTests: fuzzed loads: \(outcomes.sorted { $0.key < $1.key })")
        XCTAssertGreaterThan(outcomes["loaded", default: 0], 0)
        XCTAssertGreaterThan(outcomes.count, 5, "\(outcomes)")
    }

    // MARK: Saving

    func testSaveRejectsNamesAFileCannotHold() {
        let t = Tensor<Float>([1])
        XCTAssertThrowsError(try encodeSafetensors([("a", t), ("a", t)])) {
            XCTAssertEqual($0 as? CheckpointError, .duplicateName("a"))
        }
        XCTAssertThrowsError(try encodeSafetensors([("__metadata__", t)])) {
            XCTAssertEqual($0 as? CheckpointError, .reservedName("__metadata__"))
        }
        XCTAssertThrowsError(try loadSafetensors(into: [("a", t), ("a", t)], bytes: try encodeSafetensors([("a", t)]))) {
            XCTAssertEqual($0 as? CheckpointError, .duplicateName("a"))
        }
    }

    func testFileErrors() throws {
        let model = mlp(Float.self, seed: 0)
        let missing = temporaryURL().deletingLastPathComponent().appendingPathComponent("no/such/dir/model.safetensors")
        XCTAssertThrowsError(try model.save(to: missing)) { error in
            guard case .io(let source, _)? = error as? CheckpointError else { return XCTFail("\(error)") }
            XCTAssertEqual(source, missing.path)
        }
        let before = snapshot(model)
        XCTAssertThrowsError(try model.load(from: missing)) { error in
            guard case .io? = error as? CheckpointError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".hasPrefix(missing.path), "\(error)")
        }
        // Errors from a file name the file.
        let url = temporaryURL("short.safetensors")
        try Data([1, 2, 3]).write(to: url)
        XCTAssertThrowsError(try model.load(from: url)) { error in
            XCTAssertEqual(error as? CheckpointError, .fileTooSmall(source: url.path, byteCount: 3))
            XCTAssertTrue("\(error)".hasPrefix(url.path + ": "), "\(error)")
        }
        XCTAssertEqual(snapshot(model), before)
    }

    func testErrorDescriptionsNameTheProblem() {
        let s = "m.safetensors"
        let descriptions: [(CheckpointError, [String])] = [
            (.fileTooSmall(source: s, byteCount: 3), [s, "3 bytes"]),
            (.headerTooLarge(source: s, headerSize: 1 << 40, limit: 100_000_000), [s, "1099511627776", "100000000"]),
            (.headerOutOfBounds(source: s, headerSize: 500, byteCount: 100), [s, "500", "92"]),
            (.invalidHeader(source: s, reason: "expected ':' at byte 7 of the header"), [s, "byte 7"]),
            (.unsupportedDtype(source: s, tensor: "w", dtype: "F128"), [s, "\"w\"", "F128"]),
            (.sizeOverflow(source: s, tensor: "w", shape: [1 << 62, 4]), [s, "\"w\"", "4611686018427387904"]),
            (.offsetsOutOfRange(source: s, tensor: "w", begin: 0, end: 16, dataByteCount: 8), [s, "\"w\"", "[0, 16]", "8 bytes"]),
            (.dataSizeMismatch(source: s, tensor: "w", dtype: "F32", shape: [2], expectedBytes: 8, foundBytes: 4), [s, "\"w\"", "8 bytes", "4 bytes"]),
            (.overlappingTensors(source: s, tensor: "a", other: "b"), [s, "\"a\"", "\"b\""]),
            (.uncoveredBytes(source: s, begin: 8, end: 9), [s, "8..<9"]),
            (.missingTensor(source: s, tensor: "w"), [s, "\"w\""]),
            (.unexpectedTensor(source: s, tensor: "w"), [s, "\"w\""]),
            (.dtypeMismatch(source: s, tensor: "w", expected: "F32", found: "F64"), [s, "\"w\"", "F32", "F64"]),
            (.shapeMismatch(source: s, tensor: "w", expected: [3, 4], found: [4, 3]), [s, "\"w\"", "[3, 4]", "[4, 3]"]),
            (.duplicateName("w"), ["\"w\""]),
            (.reservedName("__metadata__"), ["__metadata__"]),
            (.io(source: s, reason: "cannot read the file: gone"), [s, "gone"]),
        ]
        for (error, parts) in descriptions {
            for part in parts { XCTAssertTrue(error.description.contains(part), "\(error) lacks \(part)") }
        }
    }
}
