import Foundation
import XCTest
import Autograd
import _TestSupport

/// Whole models through safetensors files, both ways with PyTorch (issue 18): the files
/// `Tests/Fixtures/make_modules_fixture.py` wrote from PyTorch's `state_dict()` (F32 or F64
/// parameters and running statistics, I64 `num_batches_tracked`) load into the same Swift models,
/// which then compute PyTorch's outputs in evaluation mode (running statistics) and training mode
/// (batch statistics, running ones updated as PyTorch updated them); saved again, they give the
/// file back byte for byte. The other way, `testWriteCheckpointsForPython` writes Swift-made
/// files for `Tests/Fixtures/check_swift_checkpoint.py` (run by hand).
final class ModuleCheckpointTests: XCTestCase {
    // MARK: The models of make_modules_fixture.py

    /// `nn.Sequential(Conv2d(3, 4, 3, padding=1), BatchNorm2d(4), ReLU(), MaxPool2d(2), Flatten(), Linear(64, 5))`.
    static func cnn<S: TensorScalar>(_: S.Type) -> Sequential<S> {
        Sequential<S>(Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 4),
                      ReLU(), MaxPool2d(kernelSize: 2), Flatten(), Linear(inFeatures: 64, outFeatures: 5))
    }

    /// `TextModel`: Embedding (padding row 0) → LayerNorm → Linear, on token indices; a
    /// ``ModuleBase``, as its input is a `Tensor<Int>`.
    final class TextModel: ModuleBase {
        let embed = Embedding<Float>(numEmbeddings: 12, embeddingDim: 8, paddingIdx: 0)
        let norm = LayerNorm<Float>(normalizedShape: [8])
        let fc = Linear<Float>(inFeatures: 8, outFeatures: 3)
        var isTraining = true
        var namedParameters: [(String, Tensor<Float>)] {
            embed.namedParameters(prefix: "embed") + norm.namedParameters(prefix: "norm") + fc.namedParameters(prefix: "fc")
        }
        /// Through a 2-D view for `fc`: `Linear` takes 2-D inputs only (so far).
        func callAsFunction(_ tokens: Tensor<Int>) -> Tensor<Float> {
            fc(norm(embed(tokens)).reshaped([-1, 8])).reshaped(tokens.shape + [3])
        }
    }

    /// `Net1d`: two nested Sequentials, the second ending in a batch norm without affine
    /// parameters (buffers only).
    final class Net1d: Module {
        let features = Sequential<Float>(Conv1d(inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1),
                                         BatchNorm1d(numFeatures: 4), ReLU())
        let head = Sequential<Float>(Flatten(), Linear(inFeatures: 24, outFeatures: 3),
                                     BatchNorm1d(numFeatures: 3, affine: false))
        var isTraining = true
        var namedParameters: [(String, Tensor<Float>)] {
            features.namedParameters(prefix: "features") + head.namedParameters(prefix: "head")
        }
        var namedBuffers: [(String, any TensorProtocol)] {
            features.namedBuffers(prefix: "features") + head.namedBuffers(prefix: "head")
        }
        func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> { head(features(x)) }
    }

    // MARK: Helpers

    private func record(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Fixtures.url("modules.json"))
        let fixture = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (fixture["models"] as! [String: Any])[name] as! [String: Any]
    }

    private func floatInput<S: TensorScalar>(_ c: [String: Any], _: S.Type) -> Tensor<S> {
        EncodedTensor.tensor(c["input"] as! [String: Any], S.self, requiresGrad: false)
    }

    private func tokens(_ c: [String: Any]) throws -> Tensor<Int> {
        let input = c["input"] as! [String: Any]
        return try Tensor<Int>(input["values"] as! [Int], shape: input["shape"] as! [Int])
    }

    /// Every parameter's and buffer's bytes, to see that a failed load changed nothing.
    private func snapshot(_ model: some ModuleBase) throws -> [UInt8] { try model.safetensorsBytes() }

    private func temporaryDirectory() -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ModuleCheckpointTests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory
    }

    /// Loads the PyTorch file of model `name` into `model` and checks it against the record:
    /// the state dict's keys in PyTorch's order, the file written back byte for byte, the output
    /// of `eval()`, then the output of `train()` and the buffers after it.
    private func replay<M: ModuleBase>(
        _ name: String, _ model: M, tolerance: Double, forward: () throws -> Tensor<M.Scalar>
    ) throws {
        let c = try record(name)
        XCTAssertEqual(model.stateDict.map(\.0), c["keys"] as! [String], "\(name): state dict keys")
        let url = Fixtures.url(c["file"] as! String)
        try model.load(from: url)
        XCTAssertEqual(try model.safetensorsBytes(), Array(try Data(contentsOf: url)), "\(name): the file written back")

        model.eval()
        EncodedTensor.assertMatches(try forward(), c["evalOutput"] as! [String: Any], rtol: tolerance, atol: tolerance, "\(name): eval output")
        model.train()
        EncodedTensor.assertMatches(try forward(), c["trainOutput"] as! [String: Any], rtol: tolerance, atol: tolerance, "\(name): train output")
        let buffers = c["buffersAfterTrain"] as! [String: [String: Any]]
        XCTAssertEqual(Set(model.namedBuffers.map(\.0)), Set(buffers.keys), "\(name): buffers")
        for (key, buffer) in model.namedBuffers {
            if let count = buffer as? Tensor<Int> {
                XCTAssertEqual(count.shape, [], "\(name): \(key)")
                XCTAssertEqual(count.scalars, buffers[key]!["values"] as! [Int], "\(name): \(key)")
            } else {
                EncodedTensor.assertMatches(buffer as! Tensor<M.Scalar>, buffers[key]!, rtol: tolerance, atol: tolerance, "\(name): \(key)")
            }
        }
    }

    // MARK: PyTorch's files in Swift

    func testPyTorchConv2dBatchNormModelFloat() throws {
        let model = Self.cnn(Float.self)
        let x = floatInput(try record("cnn_f32"), Float.self)
        try replay("cnn_f32", model, tolerance: 1e-6) { model(x) }
        XCTAssertEqual((model.layers[1] as! BatchNorm2d<Float>).numBatchesTracked, 4)
    }

    func testPyTorchConv2dBatchNormModelDouble() throws {
        let model = Self.cnn(Double.self)
        let x = floatInput(try record("cnn_f64"), Double.self)
        try replay("cnn_f64", model, tolerance: 1e-12) { model(x) }
    }

    func testPyTorchEmbeddingLayerNormModel() throws {
        let model = TextModel()
        let x = try tokens(try record("text_f32"))
        try replay("text_f32", model, tolerance: 1e-6) { model(x) }
        XCTAssertEqual(model.embed.weight.select(dim: 0, index: 0).scalars, [Float](repeating: 0, count: 8), "padding row")
    }

    func testPyTorchCustomModuleWithNestedSequentials() throws {
        let model = Net1d()
        let x = floatInput(try record("net1d_f32"), Float.self)
        try replay("net1d_f32", model, tolerance: 1e-6) { model(x) }
        XCTAssertEqual((model.head.layers[2] as! BatchNorm1d<Float>).numBatchesTracked, 4)
    }

    // MARK: State dicts

    /// PyTorch's order: a module's own parameters, its own buffers, then its submodules'; a
    /// Sequential's layers in numeric order (index 10 after 9), also where a layer has only
    /// buffers.
    func testStateDictOrder() {
        var layers: [any Module<Float>] = (0..<10).map { _ in ReLU<Float>() }
        layers.insert(BatchNorm1d<Float>(numFeatures: 2, affine: false), at: 0)
        layers.append(Linear<Float>(inFeatures: 2, outFeatures: 2))
        let model = Sequential<Float>(layers)
        XCTAssertEqual(model.stateDict.map(\.0),
                       ["0.running_mean", "0.running_var", "0.num_batches_tracked", "11.weight", "11.bias"])
        XCTAssertEqual(BatchNorm2d<Double>(numFeatures: 3, trackRunningStats: false).stateDict.map(\.0), ["weight", "bias"])
        XCTAssertEqual(Embedding<Float>(numEmbeddings: 3, embeddingDim: 2).stateDict.map(\.0), ["weight"])
        // The tensors themselves.
        let bn = BatchNorm1d<Float>(numFeatures: 2)
        XCTAssertTrue(bn.stateDict[2].1 === bn.runningMean!)
        XCTAssertEqual(bn.buffers.count, 3)
    }

    /// A Swift model trained in Swift, saved and loaded into a fresh one: running statistics and
    /// the batch count come along, so evaluation gives the same outputs; the parameters are
    /// written in place.
    func testRoundTripCarriesBuffers() throws {
        Tensor<Float>.manualSeed(7)
        let saved = Self.cnn(Float.self)
        for _ in 0..<2 { _ = saved(Tensor<Float>.randn([4, 3, 8, 8])) }
        let restored = Self.cnn(Float.self)
        let identities = restored.stateDict.map { ObjectIdentifier($0.1) }
        let url = temporaryDirectory().appendingPathComponent("cnn.safetensors")
        try saved.save(to: url)
        try restored.load(from: url)
        XCTAssertEqual(restored.stateDict.map { ObjectIdentifier($0.1) }, identities)
        XCTAssertEqual((restored.layers[1] as! BatchNorm2d<Float>).numBatchesTracked, 2)
        saved.eval()
        restored.eval()
        let x = Tensor<Float>.randn([2, 3, 8, 8])
        XCTAssertEqual(restored(x).scalars, saved(x).scalars)
        XCTAssertTrue(restored.parameters.allSatisfy { $0.requiresGrad && $0.isLeaf })

        // Embedding alone is a ModuleBase with a state dict.
        let table = Embedding<Double>(numEmbeddings: 5, embeddingDim: 3)
        let other = Embedding<Double>(numEmbeddings: 5, embeddingDim: 3)
        try other.load(safetensorsBytes: try table.safetensorsBytes())
        XCTAssertEqual(other.weight.scalars, table.weight.scalars)
    }

    // MARK: Errors

    /// PyTorch's words for a state dict that does not fit: missing and unexpected keys, a size
    /// mismatch, and a dtype this library will not convert; nothing changes when a load fails.
    func testMismatchedFilesAreRejectedWithTheKey() throws {
        let bytes = Array(try Data(contentsOf: Fixtures.url("module_cnn_f32.safetensors")))
        func rejected(_ model: some ModuleBase, _ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> String? {
            let before = try? snapshot(model)
            defer { XCTAssertEqual(try? snapshot(model), before, "a failed load changed the model", file: file, line: line) }
            do {
                try model.load(safetensorsBytes: bytes, source: "cnn.safetensors")
                XCTFail("loaded", file: file, line: line)
                return nil
            } catch {
                return error.description
            }
        }
        // A model without the batch norm: its Linear is "4" where the file has "5".
        let noNorm = Sequential<Float>(Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1), ReLU(),
                                       MaxPool2d(kernelSize: 2), Flatten(), Linear(inFeatures: 64, outFeatures: 5))
        XCTAssertEqual(rejected(noNorm, bytes), #"cnn.safetensors: Missing key(s) in state_dict: "4.weight" (the file has no tensor of that name)"#)
        // The batch norm without running statistics: the file's are unexpected.
        let untracked = Sequential<Float>(Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1),
                                          BatchNorm2d(numFeatures: 4, trackRunningStats: false), ReLU(), MaxPool2d(kernelSize: 2),
                                          Flatten(), Linear(inFeatures: 64, outFeatures: 5))
        XCTAssertEqual(rejected(untracked, bytes), #"cnn.safetensors: Unexpected key(s) in state_dict: "1.num_batches_tracked" (the file has a tensor of that name, the model no parameter or buffer)"#)
        let wider = Sequential<Float>(Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 4),
                                      ReLU(), MaxPool2d(kernelSize: 2), Flatten(), Linear(inFeatures: 64, outFeatures: 6))
        XCTAssertEqual(rejected(wider, bytes), #"cnn.safetensors: tensor "5.weight" has shape [5, 64] in the file, the parameter has shape [6, 64]"#)
        let double = Self.cnn(Double.self)
        XCTAssertEqual(rejected(double, bytes), #"cnn.safetensors: tensor "0.weight" has dtype F32 in the file, the parameter is F64"#)

        // num_batches_tracked must be I64.
        let model = Self.cnn(Float.self)
        var state = model.stateDict
        let index = state.firstIndex { $0.0 == "1.num_batches_tracked" }!
        state[index].1 = Tensor<Float>(3)
        let error = rejected(model, try encodeSafetensors(state))
        XCTAssertEqual(error, #"cnn.safetensors: tensor "1.num_batches_tracked" has dtype F32 in the file, the parameter is I64"#)
    }

    /// `strict: false` (PyTorch's `load_state_dict(strict=False)`): the tensors both sides have
    /// load, the others stay, and their names come back; a size mismatch still throws before
    /// anything is written.
    func testNonStrictLoadTakesTheSharedLayers() throws {
        let url = Fixtures.url("module_cnn_f32.safetensors")
        let reference = Self.cnn(Float.self)
        try reference.load(from: url)
        XCTAssertTrue(try reference.load(from: url, strict: true) == ([], []))

        // The same body, a dropout before the head: the head is "6" here, "5" in the file.
        let model = Sequential<Float>(Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 4),
                                      ReLU(), MaxPool2d(kernelSize: 2), Flatten(), Dropout(p: 0.1), Linear(inFeatures: 64, outFeatures: 5))
        let head = (model.layers[6] as! Linear<Float>).weight.scalars
        let keys = try model.load(from: url, strict: false)
        XCTAssertEqual(keys.missingKeys, ["6.weight", "6.bias"])
        XCTAssertEqual(keys.unexpectedKeys, ["5.bias", "5.weight"])
        XCTAssertEqual((model.layers[6] as! Linear<Float>).weight.scalars, head, "left as it was")
        for ((name, tensor), (referenceName, expected)) in zip(model.stateDict.prefix(7), reference.stateDict.prefix(7)) {
            XCTAssertEqual(name, referenceName)
            XCTAssertEqual(tensor.description, expected.description, name)
        }
        XCTAssertThrowsError(try model.load(from: url)) {
            XCTAssertEqual($0 as? CheckpointError, .missingTensor(source: url.path, tensor: "6.weight"))
        }

        let wider = Sequential<Float>(Conv2d(inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1))
        let before = try wider.safetensorsBytes()
        XCTAssertThrowsError(try wider.load(safetensorsBytes: try reference.safetensorsBytes(), strict: false)) {
            XCTAssertEqual($0 as? CheckpointError, .shapeMismatch(source: "<memory>", tensor: "0.weight", expected: [8, 3, 3, 3], found: [4, 3, 3, 3]))
        }
        XCTAssertEqual(try wider.safetensorsBytes(), before)
    }

    /// A file of F32, F64 and I64 tensors is laid out as the reference implementation lays it
    /// out: the widest dtype first (I64, F64, F32), names in order within a dtype.
    func testMixedDtypeLayout() throws {
        let named: [(String, any TensorProtocol)] = [
            ("a", Tensor<Float>([1, 2])), ("b", Tensor<Int>(7)), ("c", Tensor<Double>([3])), ("d", Tensor<Float>(4)),
        ]
        let bytes = try encodeSafetensors(named)
        var size = 0
        for i in (0..<8).reversed() { size = size << 8 | Int(bytes[i]) }
        let header = String(decoding: bytes[8..<(8 + size)], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        XCTAssertEqual(header, #"{"__metadata__":{"format":"pt"},"b":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"c":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},"d":{"dtype":"F32","shape":[],"data_offsets":[24,28]}}"#)
        let target: [(String, any TensorProtocol)] = [
            ("a", Tensor<Float>([0, 0])), ("b", Tensor<Int>(0)), ("c", Tensor<Double>([0])), ("d", Tensor<Float>(0)),
        ]
        try loadSafetensors(into: target, bytes: bytes)
        XCTAssertEqual((target[0].1 as! Tensor<Float>).scalars, [1, 2])
        XCTAssertEqual((target[1].1 as! Tensor<Int>).scalars, [7])
        XCTAssertEqual((target[2].1 as! Tensor<Double>).scalars, [3])
        // A literal of mixed element types needs no annotation.
        let step = Tensor<Int>(10)
        XCTAssertEqual(try encodeSafetensors([("w", Tensor<Float>([1])), ("step", step)]).count, 164, "8 + a header of 144 + 12, as Python writes it")
        XCTAssertThrowsError(try encodeSafetensors([("m", Tensor<Bool>([true]))])) {
            XCTAssertEqual($0 as? CheckpointError, .unsupportedScalarType("Bool"))
        }
    }

    // MARK: Swift's files in PyTorch

    /// With `SWIFT_CHECKPOINT_DIR` set, writes Swift-made models of make_modules_fixture.py's
    /// architectures (initialized and trained here) and their outputs, for
    /// `Tests/Fixtures/check_swift_checkpoint.py` to load into PyTorch's modules with
    /// `load_state_dict(strict=True)` and compare. Skipped otherwise: the tests run no Python.
    func testWriteCheckpointsForPython() throws {
        guard let path = ProcessInfo.processInfo.environment["SWIFT_CHECKPOINT_DIR"] else {
            throw XCTSkip("set SWIFT_CHECKPOINT_DIR to write the files check_swift_checkpoint.py reads")
        }
        let directory = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        Tensor<Float>.manualSeed(11)
        Tensor<Double>.manualSeed(11)
        var records: [String: Any] = [:]

        func encode<S: TensorElement>(_ t: Tensor<S>) -> [String: Any] {
            ["shape": t.shape, "values": t.scalars.map { S.self == Int.self ? $0 as Any : "\($0)" as Any }]
        }
        func run<M: ModuleBase, I: TensorElement>(
            _ name: String, _ model: M, input: Tensor<I>, makeBatch: () -> Tensor<I>, forward: (Tensor<I>) -> Tensor<M.Scalar>
        ) throws {
            let optimizer = SGD(model.parameters, lr: 0.1)
            model.train()
            for _ in 0..<3 {
                let y = forward(makeBatch())
                optimizer.zeroGrad()
                try (y * y).mean().backward()
                optimizer.step()
            }
            try model.save(to: directory.appendingPathComponent("swift_\(name).safetensors"))
            model.eval()
            let evalOutput = forward(input)
            model.train()
            let trainOutput = forward(input)
            records[name] = ["file": "swift_\(name).safetensors", "input": encode(input),
                             "evalOutput": encode(evalOutput), "trainOutput": encode(trainOutput)]
        }
        let cnnF32 = Self.cnn(Float.self)
        try run("cnn_f32", cnnF32, input: Tensor<Float>.randn([4, 3, 8, 8]), makeBatch: { .randn([4, 3, 8, 8]) }, forward: { cnnF32($0) })
        let cnnF64 = Self.cnn(Double.self)
        try run("cnn_f64", cnnF64, input: Tensor<Double>.randn([4, 3, 8, 8]), makeBatch: { .randn([4, 3, 8, 8]) }, forward: { cnnF64($0) })
        let text = TextModel()
        func tokens() -> Tensor<Int> { Tensor<Int>(Tensor<Float>.rand([3, 5]) * 12) }
        try run("text_f32", text, input: tokens(), makeBatch: tokens, forward: { text($0) })
        let net = Net1d()
        try run("net1d_f32", net, input: Tensor<Float>.randn([5, 2, 6]), makeBatch: { .randn([5, 2, 6]) }, forward: { net($0) })

        let json = try JSONSerialization.data(withJSONObject: ["models": records], options: [.sortedKeys])
        try json.write(to: directory.appendingPathComponent("swift_modules.json"))
    }
}
