import Autograd

/// 3×3 convolutions at LeNet / small-ResNet sizes, batch 32, 32×32 images, padding 1: forward
/// and backward of one `conv2d` with bias (`3→16`, the first layer: its input needs no gradient;
/// `16→32`: its input needs one), and a two-block net (conv 3→16, ReLU, max pool 2, conv 16→32,
/// ReLU, max pool 2, sum). Weights from ``Conv2d``'s initialization (seeded), inputs from
/// ``pattern(_:modulus:offset:)`` (modulus 17, offset −0.5). Its twin is `conv` in perf/bench_torch.py.
enum Conv: Workload {
    static let name = "conv"
    static let summary = "conv2d 3x3 forward+backward, batch 32, 32x32: 3->16, 16->32, conv-relu-pool x2"

    /// FLOP of forward plus both gradients of a 3×3 convolution at 32×32 (the first layer: no input gradient).
    static func flops(_ cin: Int, _ cout: Int, inputGradient: Bool) -> Double {
        2 * 32 * 32 * 32 * Double(cin * cout * 9) * (inputGradient ? 3 : 2)
    }

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        func layer(_ cin: Int, _ cout: Int, _ seed: UInt64) -> Conv2d<Float> {
            var rng = RandomGenerator(seed: seed)
            return Conv2d(inChannels: cin, outChannels: cout, kernelSize: 3, padding: 1, using: &rng)
        }
        return [
            BenchCase(workload: name, name: "conv3to16", size: 32, flops: flops(3, 16, inputGradient: false)) {
                let x = patternTensor([32, 3, 32, 32], modulus: 17, offset: -0.5)
                let conv = layer(3, 16, 0)
                return {
                    conv.zeroGrad()
                    try conv(x).sum().backward()
                }
            },
            BenchCase(workload: name, name: "conv16to32", size: 32, flops: flops(16, 32, inputGradient: true)) {
                let x = patternTensor([32, 16, 32, 32], modulus: 17, offset: -0.5, requiresGrad: true)
                let conv = layer(16, 32, 1)
                return {
                    conv.zeroGrad()
                    x.zeroGrad()
                    try conv(x).sum().backward()
                }
            },
            BenchCase(workload: name, name: "net", size: 32) {
                let x = patternTensor([32, 3, 32, 32], modulus: 17, offset: -0.5)
                let (c1, c2) = (layer(3, 16, 2), layer(16, 32, 3))
                return {
                    c1.zeroGrad()
                    c2.zeroGrad()
                    let h = maxPool2d(c1(x).relu(), kernelSize: 2)
                    try maxPool2d(c2(h).relu(), kernelSize: 2).sum().backward()
                }
            },
        ]
    }
}
