/// PyTorch's default print options (`torch.set_printoptions(profile="default")`, `sci_mode=None`).
///
/// They are constants rather than settings: the printed text is meant to match PyTorch's default
/// output character for character, and nothing in the library needs another profile.
enum PrintOptions {
    /// Digits after the point, in fixed and scientific notation.
    static let precision = 4
    /// Tensors with more elements than this are summarized with `...`.
    static let threshold = 1000
    /// How many leading and trailing slices a summarized dimension keeps.
    static let edgeItems = 3
    /// The line width rows are wrapped to and suffixes are measured against.
    static let lineWidth = 80
}
