/// Closes a printed tensor with its `, key=value` suffixes: PyTorch's `_add_suffixes`.
///
/// A suffix stays on the current line unless it would overflow ``PrintOptions/lineWidth``; then
/// it starts a new line aligned under the first element (`indent` columns in).
///
/// PyTorch's arithmetic is kept as is, quirks included, because the golden text depends on it:
/// the body's last line is counted as its length + 2, while a line a suffix was wrapped onto is
/// counted at its true length. A `dtype=` suffix is measured as PyTorch's is, `dtype=torch.float64`:
/// the printed text leaves `torch.` out (as the golden text does), but where the line breaks
/// follows PyTorch's longer spelling.
func appendingSuffixes(_ suffixes: [String], to text: String, indent: Int) -> String {
    var result = text
    // Python's `len` counts code points.
    let scalars = text.unicodeScalars
    let lastLineStart = scalars.lastIndex(of: "\n").map { scalars.index(after: $0) } ?? scalars.startIndex
    var lastLineLength = scalars[lastLineStart...].count + 2
    for suffix in suffixes {
        let suffixLength = suffix.unicodeScalars.count + (suffix.hasPrefix("dtype=") ? "torch.".count : 0)
        if lastLineLength + suffixLength + 2 > PrintOptions.lineWidth {
            result += ",\n" + String(repeating: " ", count: indent) + suffix
            lastLineLength = indent + suffixLength
        } else {
            result += ", " + suffix
            lastLineLength += suffixLength + 2
        }
    }
    return result + ")"
}
