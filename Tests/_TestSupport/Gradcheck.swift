import Autograd

/// Finite-difference gradient checking, written once over the scalar type.
///
/// The analytic gradient of `sum(f(x...) * w)` comes from `backward()`; the numeric one from
/// central differences, `(L(x + eps) - L(x - eps)) / (2 eps)`, with `L` summed in `Double`.
/// They must agree within `tolerance * max(1, |numeric|)` (Tests/Golden/SCHEMA.md, gradcheck.json).
public enum Gradcheck {
    /// One input: its values (row-major), shape, and whether it requires grad.
    public struct Input<Scalar: TensorScalar> {
        public var values: [Scalar]
        public var shape: [Int]
        public var requiresGrad: Bool

        public init(values: [Scalar], shape: [Int], requiresGrad: Bool = true) {
            self.values = values
            self.shape = shape
            self.requiresGrad = requiresGrad
        }

        func tensor(_ values: [Scalar]? = nil) -> Tensor<Scalar> {
            try! Tensor<Scalar>(values ?? self.values, shape: shape, requiresGrad: requiresGrad)
        }
    }

    /// What a check found: the elements compared and every disagreement, described.
    public struct Report {
        /// Gradient elements compared with their central difference.
        public var compared = 0
        /// The largest `|analytic - numeric| / max(1, |numeric|)` seen.
        public var worstError = 0.0
        /// One line per problem; empty when the check passed.
        public var failures: [String] = []
        public var passed: Bool { failures.isEmpty }
    }

    /// Checks `f`'s derivative at `inputs`. Returns `nil` when `f` returns `nil` (an op this build
    /// does not have), else a report.
    ///
    /// - Parameters:
    ///   - eps: the central-difference step.
    ///   - tolerance: the relative tolerance (absolute below magnitude 1).
    ///   - generator: draws the weight `w` (standard normal, of the output's shape).
    ///   - unreachedInputsAllowed: `f` may cut inputs off (`detached()`, `withNoGrad`): an input
    ///     that requires grad may then get no gradient (as in PyTorch, where it stays `None`) and
    ///     the output may not require grad; the numeric gradient must then be zero. `f` is
    ///     called once with grad mode on, then under `withNoGrad` for the differences.
    public static func check<Scalar: TensorScalar>(
        _ f: ([Tensor<Scalar>]) -> Tensor<Scalar>?,
        inputs: [Input<Scalar>],
        eps: Double = 1e-6,
        tolerance: Double = 1e-6,
        unreachedInputsAllowed: Bool = false,
        using generator: inout RandomGenerator
    ) -> Report? {
        let xs = inputs.map { $0.tensor() }
        guard let out = f(xs) else { return nil }
        var report = Report()
        let anyRequiresGrad = inputs.contains { $0.requiresGrad }
        if out.requiresGrad != anyRequiresGrad && !(unreachedInputsAllowed && !out.requiresGrad) {
            report.failures.append("output requiresGrad is \(out.requiresGrad), expected \(anyRequiresGrad)")
        }
        guard anyRequiresGrad else { return report }
        if out.requiresGrad && out.gradFn == nil { report.failures.append("output has no gradFn") }

        let wValues = normals(count: out.count, using: &generator).map { Scalar($0) }
        let w = try! Tensor<Scalar>(wValues, shape: out.shape)
        if out.requiresGrad {
            do {
                try (out * w).sum().backward()
            } catch {
                report.failures.append("backward threw \(error)")
                return report
            }
        }

        // L(x) = sum(f(x) * w), in Double, with no graph recorded.
        func loss(_ perturbed: [[Scalar]]) -> Double {
            withNoGrad {
                let ys = zip(inputs, perturbed).map { $0.0.tensor($0.1) }
                guard let y = f(ys) else { return .nan }
                return zip(y.scalars, wValues).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            }
        }

        for (i, input) in inputs.enumerated() {
            guard input.requiresGrad else {
                if xs[i].grad != nil { report.failures.append("input \(i) does not require grad but got one") }
                continue
            }
            let analytic: [Scalar]
            if let grad = xs[i].grad {
                guard grad.shape == input.shape else {
                    report.failures.append("input \(i): gradient shape \(grad.shape), expected \(input.shape)")
                    continue
                }
                analytic = grad.scalars
            } else if unreachedInputsAllowed {
                analytic = Array(repeating: 0, count: input.values.count)   // unreached: zero
            } else {
                report.failures.append("input \(i) got no gradient")
                continue
            }
            var values = inputs.map(\.values)
            for j in 0..<input.values.count {
                let x = input.values[j]
                values[i][j] = Scalar(Double(x) + eps)
                let plus = loss(values)
                values[i][j] = Scalar(Double(x) - eps)
                let minus = loss(values)
                values[i][j] = x
                let numeric = (plus - minus) / (2 * eps)
                let a = Double(analytic[j])
                let error = Swift.abs(a - numeric) / Swift.max(1, Swift.abs(numeric))
                report.compared += 1
                report.worstError = Swift.max(report.worstError, error.isNaN ? .infinity : error)
                if !(error <= tolerance) {
                    report.failures.append("input \(i) element \(j): analytic \(a), numeric \(numeric)")
                }
            }
        }
        return report
    }

    // MARK: - Input domains (gradcheck.json `domains`)

    /// `count` values drawn from a named domain of SCHEMA.md: `any` standard normal, `positive`
    /// uniform [0.5, 2.5], `nonzero` ±uniform [0.5, 2], `awayFromZero` normal pushed 0.2 away
    /// from 0, `distinct` a shuffled ramp with steps of 0.25 (no ties).
    public static func sample(_ domain: String, count: Int, using generator: inout RandomGenerator) -> [Double] {
        switch domain {
        case "any":
            return normals(count: count, using: &generator)
        case "positive":
            return (0..<count).map { _ in 0.5 + 2 * generator.nextUnit() }
        case "nonzero":
            return (0..<count).map { _ in
                let magnitude = 0.5 + 1.5 * generator.nextUnit()
                return generator.next() & 1 == 0 ? magnitude : -magnitude
            }
        case "awayFromZero":
            return normals(count: count, using: &generator).map { $0 < 0 ? $0 - 0.2 : $0 + 0.2 }
        case "distinct":
            var ramp = (0..<count).map { Double($0 - count / 2) * 0.25 }
            ramp.shuffle(using: &generator)
            return ramp
        default:
            preconditionFailure("unknown gradcheck domain \(domain)")
        }
    }

    /// `count` standard normal values.
    public static func normals(count: Int, using generator: inout RandomGenerator) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(count + 1)
        while out.count < count {
            let (a, b) = generator.normalPair()
            out.append(a)
            out.append(b)
        }
        return Array(out.prefix(count))
    }
}
