import Autograd

/// `tensorbench train --model cnn`: two 3×3 convolutions with ReLU and 2×2 max pooling, then a
/// linear layer, on the 8×8 digits (1×8×8 → 16×8×8 → 16×4×4 → 32×4×4 → 32×2×2 → 10).
/// perf/train_torch.py builds the same network in PyTorch, with these parameter names.
final class DigitsCNN: Module {
    let conv1: Conv2d<Float>
    let conv2: Conv2d<Float>
    let pool = MaxPool2d<Float>(kernelSize: 2)
    let fc: Linear<Float>
    var isTraining = true

    init(using generator: inout RandomGenerator) {
        conv1 = Conv2d(inChannels: 1, outChannels: 16, kernelSize: 3, padding: 1, using: &generator)
        conv2 = Conv2d(inChannels: 16, outChannels: 32, kernelSize: 3, padding: 1, using: &generator)
        fc = Linear(inFeatures: 128, outFeatures: 10, using: &generator)
    }

    var namedParameters: [(String, Tensor<Float>)] {
        conv1.namedParameters(prefix: "1") + conv2.namedParameters(prefix: "4") + fc.namedParameters(prefix: "8")
    }

    /// `input`: rows of 64 pixels, `[batch, 64]`.
    func callAsFunction(_ input: Tensor<Float>) -> Tensor<Float> {
        let images = input.reshaped([input.shape[0], 1, 8, 8])
        let h = pool(conv2(pool(conv1(images).relu())).relu())
        return fc(h.flattened(startDim: 1))
    }
}
