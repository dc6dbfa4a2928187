import XCTest
import TensorCore
import Autograd

// Comparisons of whole arrays that fail with one short line: how many elements differ, the
// first of them with both values, and the largest difference. Never the arrays themselves: a
// 45,000-element array printed twice per failure made a 2.9 MB log.

/// Asserts that two arrays hold the same values bit for bit (NaNs included),.
public func XCTAssertSameBits<S: TensorScalar>(
    _ actual: [S], _ expected: [S], _ what: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    if let difference = bitDifference(actual, expected) {
        XCTFail("\(what()): \(difference)", file: file, line: line)
    }
}

/// `nil` when `actual` and `expected` are the same bits, else a one-line account of how they differ.
public func bitDifference<S: TensorScalar>(_ actual: [S], _ expected: [S]) -> String? {
    guard actual.count == expected.count else {
        return "\(actual.count) elements, expected \(expected.count)"
    }
    var differing = 0, first = -1
    var largest: S = 0
    for i in actual.indices where !actual[i].hasSameBits(as: expected[i]) {
        differing += 1
        if first < 0 { first = i }
        let gap = abs(actual[i] - expected[i])
        if gap > largest || gap.isNaN { largest = gap }
    }
    guard differing > 0 else { return nil }
    return "\(differing) of \(actual.count) elements differ; first at index \(first): \(actual[first]) "
        + "(expected \(expected[first])); largest difference \(largest)"
}

/// Asserts that every element is ``goldenClose(_:_:atol:rtol:)`` to its expected value
/// (`|actual − expected| ≤ atol + rtol·|expected|`, NaN only where NaN is expected), as
/// `torch.allclose`.
public func XCTAssertAllClose<S: TensorScalar>(
    _ actual: [S], _ expected: [S], atol: Double, rtol: Double = 0, _ what: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.count == expected.count else {
        return XCTFail("\(what()): \(actual.count) elements, expected \(expected.count)", file: file, line: line)
    }
    var differing = 0, first = -1
    var largest = 0.0
    for i in actual.indices {
        let (x, y) = (Double(actual[i]), Double(expected[i]))
        guard !goldenClose(x, y, atol: atol, rtol: rtol) else { continue }
        differing += 1
        if first < 0 { first = i }
        largest = Swift.max(largest, abs(x - y))
    }
    guard differing > 0 else { return }
    XCTFail("\(what()): \(differing) of \(actual.count) elements beyond atol \(atol) rtol \(rtol); first at index "
            + "\(first): \(actual[first]) (expected \(expected[first])); largest difference \(largest)", file: file, line: line)
}

/// Asserts `|actual − expected| ≤ tolerance · (1 + |expected|)` for every element of a golden
/// fixture's list (its values kept as `Double`s), failing once, at the first that is not.
public func XCTAssertFixtureClose<S: BinaryFloatingPoint>(
    _ actual: [S], _ expected: [Double], _ tolerance: Double, _ label: String, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, label, file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where !(abs(Double(a) - e) <= tolerance * (1 + abs(e))) {
        XCTFail("\(label): element \(i) is \(a), PyTorch \(e)", file: file, line: line)
        return
    }
}

/// Asserts that each of `leaves` received the fixture's gradient (``XCTAssertFixtureClose``), or
/// none where the fixture has `null` (an input that needs no gradient); entries past the
/// leaves (an absent optional input) are skipped.
public func XCTAssertFixtureGradients<S: TensorScalar>(
    _ leaves: [Tensor<S>], _ expected: [Any], _ tolerance: Double, _ label: String, file: StaticString = #filePath, line: UInt = #line
) throws {
    for (k, e) in expected.enumerated() where k < leaves.count {
        guard let e = e as? [Double] else {
            XCTAssertNil(leaves[k].grad, "\(label): input \(k) needs no gradient", file: file, line: line)
            continue
        }
        XCTAssertFixtureClose(try XCTUnwrap(leaves[k].grad, "\(label): no gradient for input \(k)", file: file, line: line).scalars,
                              e, tolerance, "\(label): gradient of input \(k)", file: file, line: line)
    }
}

extension BinaryFloatingPoint {
    /// Whether `self` and `other` are the same bits (sign, exponent and significand fields).
    func hasSameBits(as other: Self) -> Bool {
        sign == other.sign && exponentBitPattern == other.exponentBitPattern
            && significandBitPattern == other.significandBitPattern
    }
}
