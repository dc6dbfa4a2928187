import Foundation
import XCTest

/// The DocC article "Training a Transformer" shows tensorbench's model code: each of its Swift
/// blocks must still be in Sources/tensorbench (whitespace at line starts aside), so the article
/// cannot drift from the program it walks through.
final class TransformerArticleTests: XCTestCase {
    func testEverySwiftBlockOfTheArticleIsTensorbenchCode() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let article = try String(contentsOf: root.appendingPathComponent("Sources/Autograd/Autograd.docc/TrainingATransformer.md"),
                                 encoding: .utf8)
        let directory = root.appendingPathComponent("Sources/tensorbench")
        let sources = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".swift") }
            .map { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) }
            .joined(separator: "\n")
        func normalized(_ text: some StringProtocol) -> String {
            text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.drop(while: { $0 == " " }) }.joined(separator: "\n")
        }
        let code = normalized(sources)
        let blocks = article.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        XCTAssertEqual(blocks.count, 4)
        for block in blocks {
            XCTAssertTrue(code.contains(normalized(block)), "not in Sources/tensorbench:\n\(block)")
        }
    }
}
