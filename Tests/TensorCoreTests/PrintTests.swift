import Foundation
import TensorCore
import XCTest

/// `DenseTensor.description` / `formatted(suffixes:)` against PyTorch's printed text.
final class PrintTests: XCTestCase {
    // MARK: - Golden cases (Tests/Golden/print.json)

    func testGoldenCases() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Golden/print.json")
        let file = try JSONDecoder().decode(PrintGoldenFile.self, from: Data(contentsOf: url))
        XCTAssertFalse(file.cases.isEmpty, "no cases in \(url.path)")
        for goldenCase in file.cases {
            let actual: String?
            switch goldenCase.dtype {
            case "float32": actual = try render(goldenCase, as: Float.self)
            case "float64": actual = try render(goldenCase, as: Double.self)
            default: actual = nil
            }
            guard let actual else {
                XCTFail("\(goldenCase.id): cannot replay dtype \(goldenCase.dtype), op \(goldenCase.op?.name ?? "-")")
                continue
            }
            assertPrinted(actual, goldenCase.expected, goldenCase.id)
        }
    }

    /// Replays one case: builds the leaf, applies the op, prints with the suffixes PyTorch shows;
    /// `nil` for an op this test does not know.
    private func render<Scalar: TensorScalar>(_ goldenCase: PrintGoldenCase, as _: Scalar.Type) throws -> String? {
        let leaf = try DenseTensor<Scalar>(
            scalars: goldenCase.tensor.values.map { Scalar($0.value) }, shape: goldenCase.tensor.shape)
        guard let op = goldenCase.op else {
            return leaf.formatted(suffixes: goldenCase.requiresGrad ? ["requires_grad=True"] : [])
        }
        guard let result = try apply(op, to: leaf, id: goldenCase.id) else { return nil }
        return result.formatted(suffixes: goldenCase.expectedGradFn.map { ["grad_fn=<\($0)>"] } ?? [])
    }

    private func apply<Scalar: TensorScalar>(
        _ op: PrintGoldenOp, to t: DenseTensor<Scalar>, id: String
    ) throws -> DenseTensor<Scalar>? {
        let params = op.params
        func scalar() throws -> Scalar { Scalar(try XCTUnwrap(params.scalar, "\(id): missing scalar")) }
        func shape() throws -> [Int] { try XCTUnwrap(params.shape, "\(id): missing shape") }
        switch op.name {
        case "addScalar": return t.binary(.add, scalar: try scalar())
        case "scalarAdd": return t.binary(scalar: try scalar(), .add)
        case "subScalar": return t.binary(.sub, scalar: try scalar())
        case "scalarSub": return t.binary(scalar: try scalar(), .sub)
        case "mulScalar": return t.binary(.mul, scalar: try scalar())
        case "scalarMul": return t.binary(scalar: try scalar(), .mul)
        case "divScalar": return t.binary(.div, scalar: try scalar())
        case "neg": return t.unary(.neg)
        case "relu": return t.unary(.relu)
        case "abs": return t.unary(.abs)
        case "sum": return t.sum()
        case "mean": return t.mean()
        // `t()` leaves a tensor of rank < 2 as it is.
        case "transposed": return t.rank < 2 ? t : t.transposed(0, 1)
        case "transposedDims":
            let dims = try XCTUnwrap(params.dims, "\(id): missing dims")
            return t.transposed(dims[0], dims[1])
        case "reshaped": return t.reshaped(try Shape.inferReshape(try shape(), count: t.count))
        case "expanded": return t.expanded(to: try shape())
        case "unsqueezed":
            let dim = try XCTUnwrap(params.dim, "\(id): missing dim")
            var newShape = t.shape
            newShape.insert(1, at: dim < 0 ? dim + t.rank + 1 : dim)
            return t.reshaped(newShape)
        default: return nil
        }
    }

    // MARK: - Hand-checked cases (worked through PyTorch's `_tensor_str.py` by hand)

    func testEmptyTensorsSpellOutTheirShape() throws {
        assertPrinted(try DenseTensor<Float>(scalars: [], shape: [0]).description, "tensor([])")
        assertPrinted(try DenseTensor<Float>(scalars: [], shape: [0, 3]).description, "tensor([], size=(0, 3))")
        assertPrinted(
            try DenseTensor<Double>(scalars: [], shape: [2, 0]).formatted(suffixes: ["requires_grad=True"]),
            "tensor([], size=(2, 0), dtype=float64, requires_grad=True)")
    }

    func testFourDimensionalBlocksAreSeparatedByTwoBlankLines() throws {
        let t = try DenseTensor<Float>(scalars: (0..<8).map(Float.init), shape: [2, 1, 2, 2])
        assertPrinted(t.description, """
            tensor([[[[0., 1.],
                      [2., 3.]]],


                    [[[4., 5.],
                      [6., 7.]]]])
            """)
    }

    func testOneNonIntegerSwitchesEveryElementToFixedNotation() throws {
        let t = try DenseTensor<Float>(scalars: [1, 2.5, -3], shape: [3])
        assertPrinted(t.description, "tensor([ 1.0000,  2.5000, -3.0000])")
    }

    func testIntegersBeyondOneHundredMillionUseScientificNotation() throws {
        let t = try DenseTensor<Float>(scalars: [1e9, 1], shape: [2])
        assertPrinted(t.description, "tensor([1.0000e+09, 1.0000e+00])")
    }

    func testOnlyNonFiniteValuesKeepTheMinimalWidth() throws {
        let t = try DenseTensor<Float>(scalars: [.nan, .infinity, -.infinity, 0], shape: [4])
        assertPrinted(t.description, "tensor([nan, inf, -inf, 0.])")
    }

    func testZeroDimensionalDouble() {
        assertPrinted(DenseTensor<Double>(2.5).description, "tensor(2.5000, dtype=float64)")
    }

    func testSummarizedRowsAndColumns() throws {
        let t = try DenseTensor<Float>(scalars: (0..<2000).map { Float(1000 + $0) }, shape: [100, 20])
        assertPrinted(t.description, """
            tensor([[1000., 1001., 1002.,  ..., 1017., 1018., 1019.],
                    [1020., 1021., 1022.,  ..., 1037., 1038., 1039.],
                    [1040., 1041., 1042.,  ..., 1057., 1058., 1059.],
                    ...,
                    [2940., 2941., 2942.,  ..., 2957., 2958., 2959.],
                    [2960., 2961., 2962.,  ..., 2977., 2978., 2979.],
                    [2980., 2981., 2982.,  ..., 2997., 2998., 2999.]])
            """)
    }

    func testHiddenElementsDoNotChooseTheNotation() throws {
        // 1e-8 and 0.5 would force scientific notation, but both sit behind the `...`.
        var values = [Float](repeating: 2, count: 1001)
        values[500] = 1e-8
        values[3] = 0.5
        let t = try DenseTensor<Float>(scalars: values, shape: [1001])
        assertPrinted(t.description, "tensor([2., 2., 2.,  ..., 2., 2., 2.])")
    }

    func testSuffixesWrapOneAfterAnother() throws {
        // Width-6 elements wrap 9 to a line; the last line is 39 columns, which PyTorch counts
        // as 41: the dtype fits after it (41 + 2 + 13), the grad_fn (43) does not.
        let t = DenseTensor<Double>(shape: [13], repeating: 1.5)
        assertPrinted(t.formatted(suffixes: ["grad_fn=<SomeVeryLongBackwardFunctionName0>"]), """
            tensor([1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000,
                    1.5000, 1.5000, 1.5000, 1.5000], dtype=float64,
                   grad_fn=<SomeVeryLongBackwardFunctionName0>)
            """)
    }

    // MARK: - Helpers

    private func assertPrinted(_ actual: String, _ expected: String, _ id: String = "", line: UInt = #line) {
        guard actual != expected else { return }
        func visible(_ text: String) -> String { text.replacingOccurrences(of: "\n", with: "⏎\n") }
        XCTFail("\(id) printed text differs\n--- expected\n\(visible(expected))\n--- actual\n\(visible(actual))", line: line)
    }
}

// MARK: - print.json records

private struct PrintGoldenFile: Decodable {
    let cases: [PrintGoldenCase]
}

private struct PrintGoldenCase: Decodable {
    let id: String
    let dtype: String
    let tensor: PrintGoldenTensor
    let requiresGrad: Bool
    let op: PrintGoldenOp?
    let expectedGradFn: String?
    let expected: String
}

private struct PrintGoldenTensor: Decodable {
    let shape: [Int]
    let values: [PrintGoldenNumber]
}

private struct PrintGoldenOp: Decodable {
    let name: String
    let params: PrintGoldenParams
}

private struct PrintGoldenParams: Decodable {
    let scalar: Double?
    let shape: [Int]?
    let dim: Int?
    let dims: [Int]?
}

/// A number, or one of the strings `"nan"`, `"inf"`, `"-inf"` JSON cannot write as numbers.
private struct PrintGoldenNumber: Decodable {
    let value: Double

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            value = number
            return
        }
        let text = try container.decode(String.self)
        switch text {
        case "nan": value = .nan
        case "inf": value = .infinity
        case "-inf": value = -.infinity
        default:
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a number: \(text)")
        }
    }
}
