import Foundation
import XCTest
import Autograd
import _TestSupport
@testable import tensorbench

/// `tensorbench train --model transformer`, step for step with PyTorch: from torch 2.11's
/// initial weights (transformer_init.safetensors) and on the same batches (the shared xoshiro256**
/// stream of seed 0), the first 50 losses are PyTorch's (transformer_steps.json,
/// make_transformer_steps_fixture.py) to 1e-4 relative; issue 19 asks for 1e-3.
final class TransformerStepsTests: XCTestCase {
    func testFiftyStepsMatchPyTorch() throws {
        let fixture = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.url("transformer_steps.json"))) as? [String: Any])
        let losses = try XCTUnwrap(fixture["losses"] as? [String]).map { Float($0)! }
        let scheduleSteps = try XCTUnwrap(fixture["schedule_steps"] as? Int)
        XCTAssertEqual(losses.count, 50)

        let words = try WordsData(file: WordsData.defaultFile())
        XCTAssertEqual(words.vocabulary.count, 70)
        let trainer = try TransformerTrainer(words: words, steps: scheduleSteps, batchSize: 32, lr: 3e-3, seed: 0,
                                             initFrom: Fixtures.url("transformer_init.safetensors"))
        var worst: Float = 0
        for (step, expected) in losses.enumerated() {
            let loss = try trainer.step(trainer.nextBatch())
            worst = max(worst, abs(loss - expected) / expected)
            XCTAssertEqual(loss, expected, accuracy: 1e-4 * expected, "step \(step + 1)")
        }
        print("transformer, 50 steps from PyTorch's initial weights: worst relative loss difference \(worst)")
    }
}
