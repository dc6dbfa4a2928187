import Foundation
import XCTest
import Autograd
import _TestSupport

/// `tensorbench train --model cnn`'s network, step for step with PyTorch: from torch 2.11's
/// initial weights (cnn_init.safetensors) and on its batches, 40 Adam steps give PyTorch's
/// losses and final parameters (cnn_steps.json; make_cnn_steps_fixture.py). The model is
/// written out here as Sources/tensorbench/DigitsCNN.swift writes it.
final class DigitsCNNStepsTests: XCTestCase {
    func testFortyAdamStepsMatchPyTorch() throws {
        let fixture = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.url("cnn_steps.json"))) as? [String: Any])
        let batches = try XCTUnwrap(fixture["batches"] as? [[Int]])
        let losses = try XCTUnwrap(fixture["losses"] as? [String]).map { Float($0)! }
        let final = try XCTUnwrap(fixture["final"] as? [String: [String]])

        let conv1 = Conv2d<Float>(inChannels: 1, outChannels: 16, kernelSize: 3, padding: 1)
        let conv2 = Conv2d<Float>(inChannels: 16, outChannels: 32, kernelSize: 3, padding: 1)
        let pool = MaxPool2d<Float>(kernelSize: 2)
        let fc = Linear<Float>(inFeatures: 128, outFeatures: 10)
        let named = conv1.namedParameters(prefix: "1") + conv2.namedParameters(prefix: "4") + fc.namedParameters(prefix: "8")
        try loadSafetensors(into: named, from: Fixtures.url("cnn_init.safetensors"))

        let data = DigitsTrainingTests.data
        let all = try LabeledDataset<Float>(csvAt: data.appendingPathComponent("digits.csv"), scale: 1.0 / 16)
        let split = try String(contentsOf: data.appendingPathComponent("digits-split.txt"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("#") }
            .flatMap { $0.split(separator: " ") }.compactMap { Int($0) }
        let train = all.subset(split.prefix(1437))

        let optimizer = Adam(named.map(\.1), lr: 0.002)
        for (step, rows) in batches.enumerated() {
            let batch = train.subset(rows)
            optimizer.zeroGrad()
            let images = Tensor(data: batch.features).reshaped([rows.count, 1, 8, 8])
            let h = pool(conv2(pool(conv1(images).relu())).relu())
            let loss = crossEntropy(logits: fc(h.flattened(startDim: 1)), targets: batch.labels)
            try loss.backward()
            optimizer.step()
            XCTAssertEqual(loss.scalar!, losses[step], accuracy: 1e-5 * losses[step], "step \(step)")
        }
        for (name, parameter) in named {
            let expected = try XCTUnwrap(final[name]).map { Float($0)! }
            let worst = zip(parameter.scalars, expected).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-5, name)
        }
    }
}
