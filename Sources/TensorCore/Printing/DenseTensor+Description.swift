extension DenseTensor: CustomStringConvertible {
    /// The text PyTorch prints for this tensor with its default print options.
    ///
    /// The layout is PyTorch's `print(tensor)`, character for character: `tensor([...])` with
    /// four digits after the point (or `3.` when every value is an integer, or scientific
    /// notation when magnitudes span a wide range), nested brackets, rows wrapped at 80 columns,
    /// `...` summaries above 1000 elements, and `dtype=float64` for `Double` tensors.
    ///
    /// ```swift
    /// let t = try DenseTensor<Float>(scalars: [1, 2.5, -3], shape: [3])
    /// print(t)    // tensor([ 1.0000,  2.5000, -3.0000])
    /// ```
    public var description: String { formatted(suffixes: []) }

    /// The text PyTorch prints for this tensor, with `suffixes` appended after the dtype one.
    ///
    /// Suffixes are how a wrapper states what the values alone cannot, such as
    /// `"requires_grad=True"` or `"grad_fn=<AddBackward0>"`. Each one is wrapped onto its own
    /// line, aligned after `tensor(`, when it would not fit in 80 columns, as PyTorch does.
    ///
    /// ```swift
    /// let t = DenseTensor<Float>(2.5)
    /// t.formatted(suffixes: ["requires_grad=True"])    // tensor(2.5000, requires_grad=True)
    /// ```
    ///
    /// - Parameter suffixes: `key=value` items, in printing order, without separators.
    /// - Returns: The printed text, without a trailing newline.
    public func formatted(suffixes: [String]) -> String {
        let prefix = "tensor("
        let indent = prefix.count
        var leading: [String] = []
        let body: String
        if count == 0 {
            // There are no elements to show the shape, so PyTorch spells it out, except for the
            // (0,) that `[]` already implies.
            if rank != 1 { leading.append("size=" + pythonTuple(shape)) }
            body = "[]"
        } else {
            body = printedBody(indent: indent)
        }
        if let dtype = count == 0 ? Scalar.emptyDtypeName : Scalar.dtypeName { leading.append("dtype=" + dtype) }
        return appendingSuffixes(leading + suffixes, to: prefix + body, indent: indent)
    }

    private func printedBody(indent: Int) -> String {
        let summarize = count > PrintOptions.threshold
        let offsets = Summarization.shownOffsets(shape: shape, summarize: summarize)
        let shown = contiguous().withElements { scalars in offsets.map { scalars[$0] } }
        let (texts, width) = Scalar.printed(shown)
        return TensorBodyLayout.render(
            shape: shape, elements: texts, elementWidth: width,
            summarize: summarize, indent: indent)
    }
}

/// `shape` as Python prints a tuple of two or more sizes: `(0, 3)`.
private func pythonTuple(_ shape: [Int]) -> String {
    "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
