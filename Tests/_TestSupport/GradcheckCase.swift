import Autograd

/// One gradcheck: an op of the golden op table (GoldenOps.swift), the shapes and value domains of
/// its inputs, and its parameters. Made from gradcheck.json or drawn by ``RandomGradcheckCases``.
public struct GradcheckCase: CustomStringConvertible {
    public var op: String
    public var shapes: [[Int]]
    public var params: [String: Any]
    public var domains: [String]
    public var requiresGrad: [Bool]

    public init(_ op: String, _ shapes: [[Int]], params: [String: Any] = [:], domains: [String]? = nil,
                requiresGrad: [Bool]? = nil) {
        self.op = op
        self.shapes = shapes
        self.params = params
        self.domains = domains ?? shapes.map { _ in "any" }
        self.requiresGrad = requiresGrad ?? shapes.map { _ in true }
    }

    /// A case of gradcheck.json (`op`, `shapes`, `params`, `domains`).
    public init(golden c: [String: Any]) {
        self.init(c["op"] as! String, c["shapes"] as! [[Int]], params: c["params"] as? [String: Any] ?? [:],
                  domains: c["domains"] as? [String])
    }

    public var description: String {
        let p = params.keys.sorted().map { "\($0)=\(params[$0]!)" }.joined(separator: ",")
        let flags = requiresGrad.allSatisfy { $0 } ? "" : " requiresGrad=\(requiresGrad)"
        return "\(op)\(shapes)(\(p))\(flags)"
    }

    /// Draws the inputs from their domains (in this case's order, from `generator`).
    public func inputs<Scalar: TensorScalar>(_: Scalar.Type, using generator: inout RandomGenerator) -> [Gradcheck.Input<Scalar>] {
        shapes.enumerated().map { i, shape in
            let values = Gradcheck.sample(domains[i], count: Shape.count(shape), using: &generator)
            return .init(values: values.map { Scalar($0) }, shape: shape, requiresGrad: requiresGrad[i])
        }
    }

    /// The op applied to `xs` (`gradcheckOp`); `nil` when this build does not have it.
    public func apply<Scalar: TensorScalar>(_ xs: [Tensor<Scalar>]) -> Tensor<Scalar>? {
        gradcheckOp(op, xs, params)
    }

    /// Draws the inputs and checks the op's derivative there; `nil` when this build does not
    /// have the op.
    public func run<Scalar: TensorScalar>(
        _: Scalar.Type, eps: Double = 1e-6, tolerance: Double = 1e-6, using generator: inout RandomGenerator
    ) -> Gradcheck.Report? {
        let inputs = self.inputs(Scalar.self, using: &generator)
        return Gradcheck.check({ apply($0) }, inputs: inputs, eps: eps, tolerance: tolerance, using: &generator)
    }
}
