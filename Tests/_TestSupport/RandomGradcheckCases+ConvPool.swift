import Autograd

extension RandomGradcheckCases {
    /// The convolutions and poolings of ``applyConvPoolOp(_:_:_:)``.
    public static let convPoolOps = ["conv2d", "conv1d", "maxPool2d", "avgPool2d", "conv2dGradients", "avgPool2dGradients"]

    /// Fixed small cases of the convolutions and poolings (nil for another op): the first ones
    /// small enough for GradgradcheckTests (at most 24 elements in all), then stride, padding,
    /// dilation, groups, a 1×1 kernel, no bias, an unbatched input, inputs that need no gradient.
    /// Max pooling's inputs are distinct values (a tie has no derivative).
    public static func convPoolCases(for op: String, using g: inout RandomGenerator) -> [GradcheckCase]? {
        let (t, f) = (true, false)
        switch op {
        case "conv2d":
            return [
                GradcheckCase(op, [[1, 1, 3, 3], [1, 1, 2, 2], [1]]),
                GradcheckCase(op, [[1, 2, 3, 2], [2, 1, 2, 2]], params: ["groups": 2, "padding": 1]),
                GradcheckCase(op, [[1, 1, 4, 3], [2, 1, 2, 2], [2]], params: ["stride": 2, "padding": 1]),
                GradcheckCase(op, [[2, 2, 5, 4], [3, 2, 3, 2], [3]], params: ["stride": [2, 1], "padding": [1, 0], "dilation": [1, 2]]),
                GradcheckCase(op, [[2, 4, 4, 4], [4, 2, 3, 3], [4]], params: ["groups": 2, "dilation": 2, "padding": 2]),
                GradcheckCase(op, [[2, 3, 3, 3], [2, 3, 1, 1], [2]]),
                GradcheckCase(op, [[3, 4, 4], [2, 3, 3, 3]], params: ["padding": 1]),
                GradcheckCase(op, [[2, 2, 4, 4], [3, 2, 3, 3], [3]], requiresGrad: [t, f, t]),
                GradcheckCase(op, [[2, 2, 4, 4], [3, 2, 3, 3], [3]], params: ["stride": 2], requiresGrad: [f, t, f]),
            ]
        case "conv1d":
            return [
                GradcheckCase(op, [[1, 2, 4], [2, 2, 2], [2]]),
                GradcheckCase(op, [[2, 2, 7], [3, 2, 3], [3]], params: ["stride": 2, "padding": 1, "dilation": 2]),
                GradcheckCase(op, [[2, 4, 6], [4, 2, 3]], params: ["groups": 2, "padding": [1]]),
                GradcheckCase(op, [[3, 5], [2, 3, 2], [2]]),
            ]
        case "maxPool2d":
            return [
                GradcheckCase(op, [[1, 1, 4, 4]], params: ["kernelSize": 2], domains: ["distinct"]),
                GradcheckCase(op, [[1, 2, 3, 3]], params: ["kernelSize": 2, "stride": 1], domains: ["distinct"]),
                GradcheckCase(op, [[2, 2, 5, 5]], params: ["kernelSize": 3, "stride": 2, "padding": 1], domains: ["distinct"]),
                GradcheckCase(op, [[2, 4, 5]], params: ["kernelSize": 2, "padding": 1], domains: ["distinct"]),
            ]
        case "avgPool2d":
            return [
                GradcheckCase(op, [[1, 1, 4, 4]], params: ["kernelSize": 2]),
                GradcheckCase(op, [[1, 2, 3, 3]], params: ["kernelSize": 3, "stride": 1, "padding": 1]),
                GradcheckCase(op, [[2, 2, 5, 5]], params: ["kernelSize": 3, "stride": 2, "padding": 1]),
                GradcheckCase(op, [[2, 4, 5]], params: ["kernelSize": 2, "stride": 1]),
            ]
        case "conv2dGradients":
            return [
                GradcheckCase(op, [[1, 1, 3, 3], [1, 1, 2, 2], [1, 1, 2, 2]]),
                GradcheckCase(op, [[1, 2, 3, 3], [2, 1, 2, 2], [1, 2, 2, 2]], params: ["groups": 2, "stride": 1]),
                GradcheckCase(op, [[2, 2, 4, 3], [2, 2, 2, 2], [2, 2, 3, 2]], params: ["stride": 2, "padding": 1]),
            ]
        case "avgPool2dGradients":
            return [
                GradcheckCase(op, [[1, 1, 4, 4], [1, 1, 2, 2]], params: ["kernelSize": 2]),
                GradcheckCase(op, [[1, 2, 3, 3], [1, 2, 3, 3]], params: ["kernelSize": 3, "stride": 1, "padding": 1]),
                GradcheckCase(op, [[2, 4, 5], [2, 3, 4]], params: ["kernelSize": 2, "stride": 1], requiresGrad: [t, f]),
            ]
        default: return nil
        }
    }
}
