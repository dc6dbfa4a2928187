import Foundation
import XCTest

/// `tensorbench seed` (Sources/tensorbench/SeedCommand.swift) echoes each line of Swift before it
/// runs it, `step("let y = x + 2", "print(y)")` followed by those two lines. The transcript is
/// meant to be pasted and run, so every echoed string must be, character for character, the
/// source line that follows its `step(...)` call. (The output itself is checked against PyTorch's
/// in SeedGoldenTests.)
final class SeedDemoTests: XCTestCase {
    static let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/tensorbench/SeedCommand.swift")

    func testEveryEchoedLineIsTheLineThatRuns() throws {
        let lines = try String(contentsOf: Self.source, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        // A string literal, raw (#"..."#) or plain ("..." with \" and \\ escapes).
        let literal = try Regex(##"#"(.*?)"#|"((?:[^"\\]|\\.)*)""##)
        var steps = 0
        var i = 0
        while i < lines.count {
            guard lines[i].hasPrefix("step(") else { i += 1; continue }
            // The call runs up to the line that closes it, `...")` or `..."#)`.
            var call = lines[i]
            while !(call.hasSuffix("\")") || call.hasSuffix("\"#)")) {
                i += 1
                XCTAssertLessThan(i, lines.count, "unterminated step( call")
                guard i < lines.count else { return }
                call += lines[i]
            }
            let echoed = call.dropFirst("step(".count).matches(of: literal).map { match in
                if let raw = match.output[1].substring { return String(raw) }
                return String(match.output[2].substring ?? "")
                    .replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
            }
            XCTAssertFalse(echoed.isEmpty, "a step( call without a line: \(call)")
            for (offset, line) in echoed.enumerated() {
                let next = i + 1 + offset
                XCTAssertEqual(next < lines.count ? lines[next] : "<end of file>", line,
                               "step \(steps + 1) echoes a line that is not the code below it")
            }
            steps += 1
            i += 1 + echoed.count
        }
        XCTAssertGreaterThanOrEqual(steps, 10, "found only \(steps) step( calls in \(Self.source.path)")
    }
}
