import Foundation
import XCTest
import Autograd
import _TestSupport

/// Entry points that take outside data throw (never trap) on bad data, and what they accept
/// keeps its invariants. The same entry points are fuzzed by Fuzz/InputFuzzer, whose corpus
/// scripts/ci-fuzz-replay.sh replays; these are the cases the fuzzing and its review found.
final class OutsideDataTests: XCTestCase {
    // MARK: - LabeledDataset(csv:)

    func testCSVInMemory() throws {
        let data = try LabeledDataset<Float>(csv: "label,a,b\n1, 2 ,3\n0,4,5\n", scale: 0.5)
        XCTAssertEqual(data.labels, [1, 0])
        XCTAssertEqual(data.features.shape, [2, 2])
        XCTAssertEqual(data.features.scalars, [1, 1.5, 2, 2.5])
        XCTAssertEqual(data.classCount, 2)
        XCTAssertThrowsError(try LabeledDataset<Float>(csv: "", source: "mem")) {
            XCTAssertEqual($0 as? DatasetError, .empty(path: "mem"))
        }
        XCTAssertThrowsError(try LabeledDataset<Float>(csv: "label,a\n1,x\n")) {
            XCTAssertEqual($0 as? DatasetError, .badValue(line: 2, column: 2, text: "x"))
        }
    }

    /// 1e300 is a finite Double but an infinite Float: it must be rejected like `inf`, not
    /// become an infinite feature that turns training into NaN.
    func testValuesThatOverflowTheScalarTypeAreRejected() throws {
        for text in ["1e300", "-1e39", "inf", "nan"] {
            XCTAssertThrowsError(try LabeledDataset<Float>(csv: "label,a\n1,\(text)\n"), text) {
                XCTAssertEqual($0 as? DatasetError, .badValue(line: 2, column: 2, text: text))
            }
        }
        // Scaling can overflow too.
        XCTAssertThrowsError(try LabeledDataset<Float>(csv: "label,a\n1,1e38\n", scale: 100))
        // In Double, 1e300 is fine.
        XCTAssertEqual(try LabeledDataset<Double>(csv: "label,a\n1,1e300\n").features.scalars, [1e300])
    }

    /// A label of `Int.max` parses; `classCount` must not trap on `Int.max + 1`.
    func testHugeLabelDoesNotTrap() throws {
        let data = try LabeledDataset<Float>(csv: "label,a\n9223372036854775807,1\n")
        XCTAssertEqual(data.classCount, Int.max)
        XCTAssertThrowsError(try LabeledDataset<Float>(csv: "label,a\n9223372036854775808,1\n"))
    }

    func testCSVFileAndMemoryAgree() throws {
        let text = "label,a,b\n2,0.25,8\n1,-1,0\n"
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("outside-data-\(getpid()).csv")
        try text.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let fromFile = try LabeledDataset<Double>(csvAt: url, scale: 2)
        let fromMemory = try LabeledDataset<Double>(csv: text, scale: 2)
        XCTAssertEqual(fromFile.labels, fromMemory.labels)
        XCTAssertSameBits(fromFile.features.scalars, fromMemory.features.scalars)
        XCTAssertThrowsError(try LabeledDataset<Double>(csvAt: url.appendingPathExtension("missing")))
    }

    // MARK: - Tensor(_:shape:) and Tensor(rows)

    func testShapesFromOutsideThrow() {
        XCTAssertThrowsError(try Tensor<Float>([], shape: [Int.max, 2])) {
            XCTAssertEqual($0 as? TensorError, .shapeTooLarge(shape: [Int.max, 2]))
        }
        XCTAssertThrowsError(try Tensor<Float>([1], shape: [-1, -1])) {
            XCTAssertEqual($0 as? TensorError, .negativeDimension(shape: [-1, -1]))
        }
        XCTAssertThrowsError(try Tensor<Float>([1, 2], shape: [1 << 62])) {
            XCTAssertEqual($0 as? TensorError, .scalarCountMismatch(count: 2, shape: [1 << 62]))
        }
        // A huge empty shape is valid, prints, and reduces over its non-empty dims.
        let empty = try? Tensor<Float>([], shape: [1 << 62, 0])
        XCTAssertEqual(empty?.count, 0)
        XCTAssertEqual(empty?.sum().scalar, 0)
        XCTAssertEqual(empty?.sum(dim: 0).shape, [0])
        XCTAssertEqual(empty.map { "\($0)" }, "tensor([], size=(4611686018427387904, 0))")
    }

    func testRowsFromOutside() throws {
        XCTAssertEqual(try Tensor<Float>([[Float]]()).shape, [0, 0])
        XCTAssertEqual(try Tensor<Float>([[], []]).shape, [2, 0])
        XCTAssertThrowsError(try Tensor<Float>([[1], [], [2]])) {
            XCTAssertEqual($0 as? TensorError, .raggedRows(row: 1, count: 0, expected: 1))
        }
    }

    /// The fuzz corpus replays in-process too, so that `swift test` alone runs it.
    func testFuzzCorpusSeedsLoadOrThrow() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/InputFuzzer/corpus")
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus.path).filter { $0.hasPrefix("seed-csv") }
        XCTAssertFalse(names.isEmpty)
        for name in names {
            let bytes = try Data(contentsOf: corpus.appendingPathComponent(name))
            let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
            if let data = try? LabeledDataset<Float>(csv: text) {
                XCTAssertTrue(data.features.scalars.allSatisfy(\.isFinite), name)
                _ = data.classCount
            }
        }
    }
}
