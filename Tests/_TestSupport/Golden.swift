import Foundation
import Autograd

/// Reads the golden cases (PyTorch's own outputs) shipped under `Tests/Golden/`.
public enum Golden {
    /// `Tests/Golden/`, found from this file's path so that tests run from any directory.
    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Golden")

    /// The top-level object of `Tests/Golden/<name>`.
    public static func load(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw GoldenError.malformed(name)
        }
        return object
    }

    /// The `cases` list of a file.
    public static func cases(_ name: String) throws -> [[String: Any]] {
        guard let cases = try load(name)["cases"] as? [[String: Any]] else { throw GoldenError.malformed(name) }
        return cases
    }
}

public enum GoldenError: Error { case malformed(String) }

/// A `{"shape": [...], "values": [...]}` record.
public struct TensorRecord {
    public let shape: [Int]
    public let values: [Double]

    public init?(_ any: Any?) {
        guard let dict = any as? [String: Any], let shape = dict["shape"] as? [Int],
              let raw = dict["values"] as? [Any] else { return nil }
        self.shape = shape
        self.values = raw.map(TensorRecord.number)
    }

    /// A JSON number, or one of the strings "nan", "inf", "-inf".
    public static func number(_ any: Any) -> Double {
        if let n = any as? NSNumber { return n.doubleValue }
        switch any as? String {
        case "nan": return .nan
        case "inf": return .infinity
        case "-inf": return -.infinity
        default: fatalError("not a golden number: \(any)")
        }
    }

    public func tensor<S: TensorScalar>(_: S.Type = Float.self, requiresGrad: Bool = false) throws -> Tensor<S> {
        try Tensor<S>(values.map { S($0) }, shape: shape, requiresGrad: requiresGrad)
    }
}

/// The tolerance the acceptance suite uses for float32: |a - e| <= 1e-5 + 1e-4 |e|.
public func goldenClose(_ actual: Double, _ expected: Double, atol: Double = 1e-5, rtol: Double = 1e-4) -> Bool {
    if expected.isNaN { return actual.isNaN }
    if expected.isInfinite { return actual == expected }
    return abs(actual - expected) <= atol + rtol * abs(expected)
}

/// The first index where `actual` and `expected` differ beyond tolerance, with both values.
public func firstMismatch<S: TensorScalar>(_ actual: [S], _ expected: [Double]) -> String? {
    guard actual.count == expected.count else { return "count \(actual.count) != \(expected.count)" }
    for i in 0..<actual.count where !goldenClose(Double(actual[i]), expected[i]) {
        return "at \(i): \(actual[i]) vs expected \(expected[i])"
    }
    return nil
}
