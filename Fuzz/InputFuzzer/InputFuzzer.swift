// A libFuzzer target for every entry point that takes outside data: `Tensor(_:shape:)`,
// `Tensor(rows)`, `LabeledDataset(csv:)` and `loadSafetensors(into:bytes:source:)`. The first
// byte of an input picks the entry point; the rest is its data. Each must either throw its typed
// error or give a value that keeps its invariants (checked below: a failed invariant traps, which
// libFuzzer reports as a crash). Never a crash, a hang or a memory error on any input.
//
// Two builds of this one file:
// - fuzzing (`-Xswiftc -DFUZZING -Xswiftc -sanitize=fuzzer,address`): `main` hands over to
//   libFuzzer's driver (`LLVMFuzzerRunDriver`), which calls `LLVMFuzzerTestOneInput`;
// - the normal build (`swift build`): the `main` below replays the files (or directories of
//   files) given as arguments, so CI can replay the corpus without the fuzzer runtime
//   (scripts/ci-fuzz-replay.sh).
import Foundation
import Autograd

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    FuzzInput.run(bytes)
    return 0
}

enum FuzzInput {
    static func run(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        var reader = Reader(bytes: bytes.dropFirst())
        switch selector % 4 {
        case 0: tensorFromScalars(&reader, double: selector & 0x80 != 0)
        case 1: tensorFromRows(&reader)
        case 2: dataset(String(decoding: bytes.dropFirst(), as: UTF8.self), double: selector & 0x80 != 0)
        default: checkpoint(Array(bytes.dropFirst()), double: selector & 0x80 != 0)
        }
    }

    // MARK: - Tensor(_:shape:) and Tensor(rows)

    static func tensorFromScalars(_ reader: inout Reader, double: Bool) {
        // A shape of up to 5 sizes: small ones (-8...119) or any Int (8 raw bytes).
        let rank = Int(reader.byte() % 6)
        var shape: [Int] = []
        for _ in 0..<rank {
            let tag = reader.byte()
            shape.append(tag & 0x80 != 0 ? Int(truncatingIfNeeded: reader.uint64()) : Int(tag & 0x7f) - 8)
        }
        if double {
            var scalars: [Double] = []
            while !reader.isEmpty && scalars.count < 4096 { scalars.append(Double(bitPattern: reader.uint64())) }
            if let x = try? Tensor<Double>(scalars, shape: shape) { exercise(x, scalars: scalars, shape: shape) }
        } else {
            var scalars: [Float] = []
            while !reader.isEmpty && scalars.count < 4096 { scalars.append(Float(bitPattern: reader.uint32())) }
            do {
                let x = try Tensor<Float>(scalars, shape: shape)
                exercise(x, scalars: scalars, shape: shape)
            } catch {
                // The throw must be right: the count does not fill the shape or the shape is bad.
                let valid = (try? Shape.checkedCount(shape)).map { $0 == scalars.count } ?? false
                check(!valid, "Tensor(_:shape:) threw \(error) for a valid shape \(shape) and \(scalars.count) scalars")
                _ = error.description
            }
        }
    }

    static func tensorFromRows(_ reader: inout Reader) {
        var rows: [[Float]] = []
        for _ in 0..<Int(reader.byte() % 17) {
            rows.append((0..<Int(reader.byte() % 17)).map { _ in Float(bitPattern: reader.uint32()) })
        }
        do {
            let x = try Tensor<Float>(rows)
            check(x.shape == [rows.count, rows.first?.count ?? 0], "Tensor(rows) shape \(x.shape)")
            exercise(x, scalars: rows.flatMap { $0 }, shape: x.shape)
        } catch {
            check(Set(rows.map(\.count)).count > 1, "Tensor(rows) threw \(error) for rows of one length")
            _ = error.description
        }
    }

    /// Uses a tensor made from outside data the way a program would: printing, reductions,
    /// elementwise ops and a backward, none of which may crash on any values (NaN, inf, -0,
    /// subnormals) or any valid shape (0-d, zero-size dims).
    static func exercise<S: TensorScalar>(_ x: Tensor<S>, scalars: [S], shape: [Int]) {
        check(x.shape == shape && x.count == scalars.count, "shape \(x.shape) for \(shape)")
        check(zip(x.scalars, scalars).allSatisfy(identical), "scalars changed")
        _ = x.description
        _ = x.sum().scalar
        _ = x.mean().scalar
        _ = x.reshaped([-1]).count
        if x.count > 0 { _ = x.max().scalar }
        if x.rank > 0 {
            _ = x.softmax(dim: -1).description
            _ = x.logSoftmax(dim: 0).count
            // A zero-size tensor may have huge sizes ([2^62, 0]); reducing along its zero-size
            // dim gives a tensor of all the other sizes (2^62 scalars: a trap as out of memory,
            // see SizeTests; [108, 106, 97, 102, 0]: 10^8 zeros, slow). Not the data's fault:
            // reduce only along dims that leave a small result.
            for dim in 0..<x.rank where smallResult(shape, removing: dim) {
                _ = x.sum(dim: dim).count
                _ = x.mean(dim: dim - x.rank, keepDim: true).count
                if x.shape[dim] > 0 { _ = x.max(dim: dim).count }
            }
            if x.rank >= 2 { _ = x.transposed(0, -1).shape }
        }
        if x.rank <= 2 { _ = x.transposed().shape }
        _ = x.reshaped([-1]).unsqueezed(dim: 0).shape
        _ = (x.relu() * x.sigmoid() + x.tanh() - x.abs().sqrt()).description
        x.requiresGrad = true
        let loss = (x * x).sum() + x.exp().mean()
        do { try loss.backward() } catch { check(false, "backward threw \(error)") }
        check(x.grad?.shape == x.shape, "gradient shape \(String(describing: x.grad?.shape)) for \(x.shape)")
    }

    /// Whether `shape` without `dim` holds at most 2^16 elements.
    static func smallResult(_ shape: [Int], removing dim: Int) -> Bool {
        var count = 1
        for (i, size) in shape.enumerated() where i != dim {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= 1 << 16 else { return shape.enumerated().contains { $0.offset != dim && $0.element == 0 } }
            count = product
        }
        return true
    }

    // MARK: - LabeledDataset(csv:)

    static func dataset(_ text: String, double: Bool) {
        if double { dataset(text, Double.self) } else { dataset(text, Float.self) }
    }

    static func dataset<S: TensorScalar>(_ text: String, _: S.Type) {
        do {
            let data = try LabeledDataset<S>(csv: text, source: "<fuzz>", scale: 1 / 16)
            check(data.count > 0 && data.features.shape == [data.count, data.featureCount], "dataset shape")
            check(data.labels.allSatisfy { $0 >= 0 }, "negative label")
            check(data.features.scalars.allSatisfy(\.isFinite), "non-finite feature accepted")
            _ = data.classCount
            var generator = RandomGenerator(seed: 1)
            let batches = data.batches(size: 7, shuffledWith: &generator)
            check(batches.reduce(0) { $0 + $1.labels.count } == data.count, "batches lose rows")
            _ = data.subset([0, data.count - 1]).features.description
        } catch {
            _ = error.description
        }
    }

    // MARK: - loadSafetensors(into:bytes:source:)

    static func checkpoint(_ bytes: [UInt8], double: Bool) {
        if double { checkpoint(bytes, Double.self) } else { checkpoint(bytes, Float.self) }
    }

    /// Loads into a fixed model: `0.weight` [2, 3], `0.bias` [2], `2.weight` [1, 2] (as
    /// `Sequential(Linear(3, 2), ReLU(), Linear(2, 1, bias: false))` names them).
    static func checkpoint<S: TensorScalar>(_ bytes: [UInt8], _: S.Type) {
        var generator = RandomGenerator(seed: 0)
        let model = Sequential<S>(
            Linear(inFeatures: 3, outFeatures: 2, using: &generator), ReLU(),
            Linear(inFeatures: 2, outFeatures: 1, bias: false, using: &generator))
        let before = model.parameters.map(\.scalars)
        do {
            try model.load(safetensorsBytes: bytes, source: "<fuzz>")
            // Loaded: saving gives a file that loads back to the same values.
            let saved = try model.safetensorsBytes()
            let copy = Sequential<S>(
                Linear(inFeatures: 3, outFeatures: 2, using: &generator), ReLU(),
                Linear(inFeatures: 2, outFeatures: 1, bias: false, using: &generator))
            try copy.load(safetensorsBytes: saved)
            for (a, b) in zip(model.parameters, copy.parameters) {
                check(zip(a.scalars, b.scalars).allSatisfy(identical), "save/load round trip")
            }
        } catch {
            _ = error.description
            // A load that throws changes nothing.
            for (p, old) in zip(model.parameters, before) {
                check(zip(p.scalars, old).allSatisfy(identical), "a failed load changed \(p.shape)")
            }
        }
    }

    /// An invariant of the library; a violation is a bug, reported as a crash.
    static func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { fatalError("InputFuzzer invariant: \(message())") }
    }
}

/// Bit for bit the same value (NaN payloads and the sign of zero included).
func identical<S: BinaryFloatingPoint>(_ a: S, _ b: S) -> Bool {
    a.sign == b.sign && a.exponentBitPattern == b.exponentBitPattern && a.significandBitPattern == b.significandBitPattern
}

/// Reads fixed-size values from the input; past its end, zeros.
struct Reader {
    var bytes: ArraySlice<UInt8>
    var isEmpty: Bool { bytes.isEmpty }
    mutating func byte() -> UInt8 { bytes.popFirst() ?? 0 }
    mutating func uint32() -> UInt32 { (0..<4).reduce(0) { acc, i in acc | UInt32(byte()) << (8 * i) } }
    mutating func uint64() -> UInt64 { (0..<8).reduce(0) { acc, i in acc | UInt64(byte()) << (8 * i) } }
}

#if FUZZING
/// libFuzzer's driver (`-sanitize=fuzzer` links it). SwiftPM links an executable's entry point
/// as `main`, so the fuzzing build's `main` hands over to libFuzzer instead of being libFuzzer's.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif

@main
enum Main {
    static func main() {
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
        #else
        replay(Array(CommandLine.arguments.dropFirst()))
        #endif
    }

    /// The replay build: runs every file given (or every file in each directory given) once.
    static func replay(_ arguments: [String]) {
        let fm = FileManager.default
        var files: [String] = []
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                print("InputFuzzer: no such file \(argument)")
                exit(2)
            }
            if isDirectory.boolValue {
                let names = ((try? fm.contentsOfDirectory(atPath: argument)) ?? []).sorted()
                files += names.map { "\(argument)/\($0)" }
            } else {
                files.append(argument)
            }
        }
        if files.isEmpty {
            print("usage: InputFuzzer <corpus file or directory>...  (replays each input once)")
            exit(2)
        }
        for file in files {
            guard let data = fm.contents(atPath: file) else { continue }
            FuzzInput.run([UInt8](data))
        }
        print("InputFuzzer: replayed \(files.count) inputs, no failure")
    }
}
