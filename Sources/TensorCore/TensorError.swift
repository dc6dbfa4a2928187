/// Errors from creating a tensor out of outside data.
///
/// Operators trap on programmer errors (as an array index out of range does); anything built from
/// data a program was handed throws one of these instead, with a message that says what was wrong.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// The number of scalars given does not fill the shape.
    case scalarCountMismatch(count: Int, shape: [Int])
    /// Nested rows of different lengths.
    case raggedRows(row: Int, count: Int, expected: Int)
    /// A dimension with a negative size.
    case negativeDimension(shape: [Int])
    /// A shape whose element count overflows `Int`.
    case shapeTooLarge(shape: [Int])
    /// A reshape whose element count differs from the tensor's, or with more than one `-1`.
    case invalidReshape(shape: [Int], count: Int)

    /// A one-line message with the numbers concerned; ``invalidReshape(shape:count:)`` uses PyTorch's
    /// wording, `shape '[2, 4]' is invalid for input of size 6`.
    public var description: String {
        switch self {
        case let .scalarCountMismatch(count, shape):
            return "\(count) scalars cannot fill a tensor of shape \(shape), which holds \(shapeCount(shape))"
        case let .raggedRows(row, count, expected):
            return "ragged rows: row \(row) has \(count) elements, expected \(expected) like row 0"
        case let .negativeDimension(shape):
            return "negative dimension in shape \(shape): sizes must be 0 or more"
        case let .shapeTooLarge(shape):
            return "shape \(shape) has too many elements to address"
        case let .invalidReshape(shape, count):
            return "shape '\(shape)' is invalid for input of size \(count)"
        }
    }
}

private func shapeCount(_ shape: [Int]) -> Int {
    shape.reduce(1, *)
}
