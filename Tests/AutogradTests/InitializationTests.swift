import Foundation
import XCTest
import Autograd
import _TestSupport

/// Default initialization as PyTorch's (issue 18), against `initialization` in modules.json
/// (`Tests/Fixtures/make_modules_fixture.py`): the same state-dict entries with the same shapes
/// and dtypes; `Linear`, `Conv1d` and `Conv2d` weights and biases uniform in `±1/√fanIn` (PyTorch's
/// kaiming-uniform with `a = √5`, `fanIn = inChannels / groups · kernel elements`, and the same
/// bound for the bias), with the bound taken from PyTorch's own `_calculate_fan_in_and_fan_out`;
/// `Embedding` standard normal; the norms' ones and zeros and a zero batch count. The generator
/// is not PyTorch's, so the drawn values are compared as distributions: every value inside the
/// bound, the extremes near it, the mean and standard deviation those of the distribution.
final class InitializationTests: XCTestCase {
    private func layer(_ kind: String, _ args: [String: Any]) -> any ModuleBase<Float> {
        func int(_ key: String, _ fallback: Int? = nil) -> Int { args[key] as? Int ?? fallback! }
        switch kind {
        case "linear": return Linear<Float>(inFeatures: int("inFeatures"), outFeatures: int("outFeatures"))
        case "conv2d": return Conv2d<Float>(inChannels: int("inChannels"), outChannels: int("outChannels"),
                                            kernelSize: int("kernelSize"), groups: int("groups", 1))
        case "conv1d": return Conv1d<Float>(inChannels: int("inChannels"), outChannels: int("outChannels"),
                                            kernelSize: int("kernelSize"), groups: int("groups", 1))
        case "embedding": return Embedding<Float>(numEmbeddings: int("numEmbeddings"), embeddingDim: int("embeddingDim"))
        case "layerNorm": return LayerNorm<Float>(normalizedShape: args["normalizedShape"] as! [Int])
        case "batchNorm1d": return BatchNorm1d<Float>(numFeatures: int("numFeatures"))
        case "batchNorm2d": return BatchNorm2d<Float>(numFeatures: int("numFeatures"))
        default: fatalError(kind)
        }
    }

    private func values(_ tensor: any TensorProtocol) -> [Double] {
        if let t = tensor as? Tensor<Float> { return t.scalars.map(Double.init) }
        return (tensor as! Tensor<Int>).scalars.map(Double.init)
    }

    func testDefaultInitializationIsPyTorchs() throws {
        let data = try Data(contentsOf: Fixtures.url("modules.json"))
        let fixture = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        Tensor<Float>.manualSeed(4)
        for record in fixture["initialization"] as! [[String: Any]] {
            let kind = record["kind"] as! String, args = record["args"] as! [String: Any]
            let id = "\(kind) \(args)"
            let module = layer(kind, args)
            let expected = record["stateDict"] as! [String: [String: Any]]
            XCTAssertEqual(Set(module.stateDict.map(\.0)), Set(expected.keys), id)
            XCTAssertTrue(module.parameters.allSatisfy { $0.requiresGrad && $0.isLeaf }, id)
            for (key, tensor) in module.stateDict {
                guard let entry = expected[key] else { continue }
                let what = "\(id) \(key)"
                XCTAssertEqual(tensor.shape, entry["shape"] as! [Int], what)
                XCTAssertEqual(tensor is Tensor<Int> ? "int64" : "float32", entry["dtype"] as! String, what)
                let v = values(tensor)
                if let constant = entry["constant"] {
                    XCTAssertEqual(Set(v), [(constant as! NSNumber).doubleValue], what)
                    continue
                }
                let n = Double(v.count)
                let mean = v.reduce(0, +) / n
                let std = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
                if let text = entry["bound"] as? String {
                    // Uniform in [-bound, bound): inside (to a float32 rounding of the bound), the
                    // extremes within 20/n of it (a miss has probability about e⁻²⁰ per end), the
                    // standard deviation bound/√3.
                    let bound = Double(text)!
                    XCTAssertTrue(v.allSatisfy { abs($0) <= bound * (1 + 1e-6) }, "\(what): a value outside ±\(bound)")
                    XCTAssertGreaterThan(v.max()!, bound * (1 - 20 / n), "\(what): largest value")
                    XCTAssertLessThan(v.min()!, -bound * (1 - 20 / n), "\(what): smallest value")
                    XCTAssertEqual(std / (bound / 3.squareRoot()), 1, accuracy: 8 / n.squareRoot(), "\(what): standard deviation")
                } else {
                    // Standard normal (Embedding): PyTorch's draw has the same moments.
                    XCTAssertEqual(std, 1, accuracy: 8 / (2 * n).squareRoot(), "\(what): standard deviation")
                    XCTAssertEqual(std, Double(entry["std"] as! String)!, accuracy: 0.05, what)
                }
                XCTAssertEqual(mean, 0, accuracy: 6 * std / n.squareRoot(), "\(what): mean")
            }
        }
    }

    /// The same bounds in `Double`, and with a generator of the caller's: two layers made from
    /// the same seed are equal.
    func testSeededInitialization() {
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let first = Conv2d<Double>(inChannels: 4, outChannels: 8, kernelSize: 3, groups: 2, using: &a)
        let second = Conv2d<Double>(inChannels: 4, outChannels: 8, kernelSize: 3, groups: 2, using: &b)
        XCTAssertEqual(first.weight.scalars, second.weight.scalars)
        XCTAssertEqual(first.bias!.scalars, second.bias!.scalars)
        let bound = 1 / (2.0 * 9).squareRoot()
        XCTAssertTrue((first.weight.scalars + first.bias!.scalars).allSatisfy { $0 >= -bound && $0 < bound })
        XCTAssertEqual(first.weight.shape, [8, 2, 3, 3])
        let linear = Linear<Double>(inFeatures: 5, outFeatures: 3, using: &a)
        XCTAssertTrue((linear.weight.scalars + linear.bias!.scalars).allSatisfy { abs($0) <= 1 / 5.0.squareRoot() })
    }
}
