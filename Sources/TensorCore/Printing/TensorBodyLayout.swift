/// The bracketed body of a printed tensor: PyTorch's `_tensor_str_with_formatter` and
/// `_vector_str`.
///
/// Elements arrive already formatted, in printing order, so the layout is pure text work:
/// nesting, the blank lines that separate blocks of rank ≥ 3, indentation under the opening
/// brackets, wrapping of the innermost rows, and the `...` of a summarized tensor.
enum TensorBodyLayout {
    /// The body of a tensor of `shape` (non-empty) whose shown elements, padded to
    /// `elementWidth`, are `elements`; `indent` is the column the body starts at.
    static func render(
        shape: [Int], elements: [String], elementWidth: Int, summarize: Bool, indent: Int
    ) -> String {
        var remaining = elements.makeIterator()

        func vector(size: Int, indent: Int) -> String {
            // PyTorch budgets every element at the common width plus ", ", whatever its actual
            // length, and counts the ellipsis as one element of the row.
            let perLine = Swift.max(1, (PrintOptions.lineWidth - indent) / (elementWidth + 2))
            let items = Summarization.shownIndices(size: size, summarize: summarize).map {
                $0 == nil ? " ..." : remaining.next()!
            }
            let lines = stride(from: 0, to: items.count, by: perLine).map {
                items[$0..<Swift.min($0 + perLine, items.count)].joined(separator: ", ")
            }
            return "[" + lines.joined(separator: ",\n" + spaces(indent + 1)) + "]"
        }

        func block(axis: Int, indent: Int) -> String {
            if axis == shape.count - 1 { return vector(size: shape[axis], indent: indent) }
            let slices = Summarization.shownIndices(size: shape[axis], summarize: summarize).map {
                $0 == nil ? "..." : block(axis: axis + 1, indent: indent + 1)
            }
            // A block of rank d is followed by d - 2 blank lines, so the nesting shows.
            let rank = shape.count - axis
            let separator = "," + String(repeating: "\n", count: rank - 1) + spaces(indent + 1)
            return "[" + slices.joined(separator: separator) + "]"
        }

        if shape.isEmpty { return remaining.next()! }
        return block(axis: 0, indent: indent)
    }

    private static func spaces(_ count: Int) -> String {
        String(repeating: " ", count: count)
    }
}
