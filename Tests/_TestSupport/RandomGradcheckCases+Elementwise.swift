import Autograd

extension RandomGradcheckCases {
    /// The elementwise ops of ``applyElementwiseOp(_:_:_:)``.
    public static let elementwiseOps = [
        "log1p", "expm1", "sin", "cos", "sign", "rsqrt", "reciprocal", "square", "erf", "clamped", "leakyRelu",
        "gelu", "silu", "softplus", "elu", "powTensor", "maximum", "minimum",
    ]

    /// Cases of the elementwise ops (nil for another op): random shapes (0-d and empty ones), a
    /// transposed input, every parameter set, inputs away from the kinks (a finite difference
    /// across one is no derivative), broadcasting pairs for the binary ops, an input that needs
    /// no gradient.
    public static func elementwiseCases(for op: String, using g: inout RandomGenerator) -> [GradcheckCase]? {
        let params: [[String: Any]]
        var domain = "any"
        switch op {
        case "log1p", "rsqrt": domain = "positive"; params = [[:]]
        case "reciprocal": domain = "nonzero"; params = [[:]]
        case "expm1", "sin", "cos", "sign", "square", "erf", "silu": params = [[:]]
        case "clamped": params = [["min": -0.5, "max": 0.7], ["min": 0.3], ["max": -0.4], ["min": 1.0, "max": -1.0]]
        case "leakyRelu": domain = "awayFromZero"; params = [[:], ["negativeSlope": 0.2]]
        case "gelu": params = [[:], ["approximate": true]]
        case "softplus": params = [[:], ["beta": 0.5, "threshold": 20.0], ["beta": 2.0, "threshold": 6.0]]
        case "elu": domain = "awayFromZero"; params = [[:], ["alpha": 0.5]]
        case "powTensor", "maximum", "minimum":
            let domains = op == "powTensor" ? ["positive", "any"] : ["any", "any"]
            var out = [([3, 1], [1, 4]), ([4], [2, 3, 4]), ([], [2, 3]), ([2, 3], []), ([0, 3], [1, 3])].map {
                GradcheckCase(op, [$0.0, $0.1], domains: domains)
            }
            for _ in 0..<3 {
                let (a, b) = broadcastPair(using: &g)
                out.append(GradcheckCase(op, [a, b], domains: domains))
            }
            out.append(GradcheckCase(op, [[3, 2], [3]], params: ["transposed": true], domains: domains))
            out.append(GradcheckCase(op, [[2, 3], [3]], domains: domains, requiresGrad: [false, true]))
            out.append(GradcheckCase(op, [[2, 3], [3]], domains: domains, requiresGrad: [true, false]))
            return out
        default: return nil
        }
        return params.flatMap { p in
            unaryShapes(using: &g).map { GradcheckCase(op, [$0], params: p, domains: [domain]) }
                + [GradcheckCase(op, [[3, 2]], params: p.merging(["transposed": true]) { a, _ in a }, domains: [domain])]
        }
    }
}
