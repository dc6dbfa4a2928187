/// Which slices of one dimension a print shows (PyTorch's `get_summarized_data` and the
/// `...` rows of `_tensor_str_with_formatter` / `_vector_str`).
enum Summarization {
    /// The indices along a dimension of `size` in printing order, with `nil` where the `...`
    /// goes: all of them, unless the tensor is summarized and the dimension is longer than
    /// twice ``PrintOptions/edgeItems``.
    static func shownIndices(size: Int, summarize: Bool) -> [Int?] {
        let edge = PrintOptions.edgeItems
        guard summarize && size > 2 * edge else { return Array(0..<size) }
        return Array(0..<edge) + [nil] + Array(size - edge..<size)
    }

    /// The row-major offsets of the elements a print of `shape` shows, in printing order.
    ///
    /// These are the values the formatter decides over: PyTorch builds its `_Formatter` from
    /// the summarized data, so an element hidden behind `...` never widens the columns or
    /// switches the notation.
    static func shownOffsets(shape: [Int], summarize: Bool) -> [Int] {
        let strides = Shape.strides(shape)
        var offsets: [Int] = []
        func visit(axis: Int, base: Int) {
            guard axis < shape.count else {
                offsets.append(base)
                return
            }
            for case let index? in shownIndices(size: shape[axis], summarize: summarize) {
                visit(axis: axis + 1, base: base + index * strides[axis])
            }
        }
        visit(axis: 0, base: 0)
        return offsets
    }
}
