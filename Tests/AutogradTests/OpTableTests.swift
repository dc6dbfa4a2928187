import XCTest
@testable import Autograd
import _TestSupport

/// A tripwire on the op table: every op of `OpTable.definitions` has a PyTorch node name, and some
/// golden case (ops.json, broadcast.json) or gradcheck case records it, so an op cannot be added
/// without a test of its values and its derivative.
final class OpTableTests: XCTestCase {
    func testEveryOpKindHasANameAndIsCoveredByAGoldenOrGradcheckCase() throws {
        var goldenNames = Set<String>()
        var goldenKinds = Set<OpKind>()
        for file in ["ops.json", "broadcast.json"] {
            for c in try Golden.cases(file) {
                if let name = c["gradFn"] as? String { goldenNames.insert(name) }
                let xs: [Tensor<Float>] = try zip(c["inputs"] as! [Any], c["requiresGrad"] as! [Bool]).map {
                    try XCTUnwrap(TensorRecord($0.0)).tensor(requiresGrad: $0.1)
                }
                if let out = applyGoldenOp(c["op"] as! String, xs, c["params"] as? [String: Any] ?? [:]) {
                    goldenKinds.formUnion(recordedKinds(out))
                }
            }
        }

        var gradcheckKinds = Set<OpKind>()
        var generator = RandomGenerator(seed: 1)
        var cases = try Golden.cases("gradcheck.json").map(GradcheckCase.init(golden:))
        for op in RandomGradcheckCases.ops { cases += RandomGradcheckCases.cases(for: op, using: &generator) }
        for c in cases {
            let xs = c.inputs(Double.self, using: &generator).map {
                try! Tensor<Double>($0.values, shape: $0.shape, requiresGrad: $0.requiresGrad)
            }
            if let out = c.apply(xs) { gradcheckKinds.formUnion(recordedKinds(out)) }
        }
        let gradcheckNames = Set(gradcheckKinds.map(\.name))

        for kind in OpKind.allCases {
            XCTAssertFalse(kind.name.isEmpty, "\(kind) has no name")
            if let elsewhere = Self.coveredElsewhere[kind] {
                XCTAssertFalse(elsewhere.isEmpty)
                continue
            }
            XCTAssertTrue(goldenNames.contains(kind.name) || gradcheckNames.contains(kind.name),
                          "\(kind) (\(kind.name)) is neither a gradFn of ops.json/broadcast.json nor covered by gradcheck")
            XCTAssertTrue(goldenKinds.contains(kind) || gradcheckKinds.contains(kind),
                          "no golden or gradcheck case records \(kind): add one (GoldenOps.swift / GradcheckOps.swift)")
        }
    }

    /// Ops a Double gradcheck can't test, with the tests that check their values and gradients
    /// against PyTorch instead.
    static let coveredElsewhere: [OpKind: String] = [
        // Through a Float, finite differences in Double lose seven digits.
        OpKind(ToCopy.self): "DtypesGoldenTests (dtypes.json convert.*: values, names, gradients across graphs)",
        // Made only by a relu's recorded derivative, never by a forward op.
        OpKind(ThresholdBackward.self): "GradFunctionTests.testReluDerivativeRecordsThresholdBackward (name, gradcheck and gradgradcheck of a relu's recorded gradient)",
        // The node of every user-defined function: its derivative is the user's.
        OpKind(CustomFunctionOp.self): "CustomFunctionTests (values, names, gradcheck and gradgradcheck of custom functions)",
    ]

    func testNamesArePyTorchNodeClassNames() {
        // A custom function's node shows the function's name instead (CustomFunctionTests).
        for kind in OpKind.allCases where kind != OpKind(CustomFunctionOp.self) {
            let name = kind.name
            // CopyBackwards and CopySlices are PyTorch's node names without a number; a name may
            // hold digits before "Backward" (SmoothL1LossBackward0).
            XCTAssertNotNil(name.range(of: #"^([A-Z][A-Za-z0-9]*Backward[0-9]|CopyBackwards|CopySlices)$"#, options: .regularExpression),
                            "\(kind): \(name) is not spelled like a PyTorch backward node")
            XCTAssertEqual(GradFn(op: kind).name, name)
            XCTAssertEqual(GradFn(op: kind).description, "<\(name)>")
        }
    }

    /// Each definition's kind is its place in the table, so that a node's op byte leads back to it.
    func testEachDefinitionsKindIsItsPlaceInTheTable() {
        XCTAssertEqual(OpKind.allCases.count, OpTable.definitions.count)
        for (i, definition) in OpTable.definitions.enumerated() {
            XCTAssertEqual(Int(definition.kind.index), i, "\(definition)")
            XCTAssertTrue(OpKind.allCases[i].definition == definition)
        }
        XCTAssertEqual(Set(OpTable.definitions.map { ObjectIdentifier($0) }).count, OpTable.definitions.count,
                       "a definition is listed twice")
    }

    /// A definition recorded without being in the table keeps no number, and its node traps
    /// when its name or derivative is looked up, saying so.
    func testADefinitionMissingFromTheTableTraps() {
        let message = "a node records an op that is not in OpTable.definitions"
        expectTrap("name", message: message) {
            let x = Tensor<Float>([1], requiresGrad: true)
            _ = Tensor.record(x.data, NotInTheTable.self, x).gradFn?.name
        }
        expectTrap("backward", message: message) {
            let x = Tensor<Float>([1], requiresGrad: true)
            try? Tensor.record(x.data, NotInTheTable.self, x).sum().backward()
        }
    }
}

/// Every op kind recorded in the segment(s) `t`'s history lives in and their parents (all
/// recorded by the calling test).
func recordedKinds<S: TensorScalar>(_ t: Tensor<S>) -> Set<OpKind> {
    guard let history = t.history else { return [] }
    var kinds: Set<OpKind> = [history.op]
    var pending = [history.segment]
    var seen: Set<ObjectIdentifier> = []
    while let segment = pending.popLast() {
        guard seen.insert(ObjectIdentifier(segment)).inserted else { continue }
        for i in segment.nodes.indices { kinds.insert(segment.nodes[i].pointee.op) }
        pending += segment.parents.map(\.segment)
    }
    return kinds
}

/// An op that is not in `OpTable.definitions`.
private enum NotInTheTable: OpDefinition {
    static let name = "NotInTheTableBackward0"
    nonisolated(unsafe) static var kind = OpKind.unnumbered
    static func backward<V>(_ c: consuming BackwardContext<V>) -> Gradients<V> { (c.grad, nil) }
}
