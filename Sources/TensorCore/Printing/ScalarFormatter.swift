/// How every element of one printed tensor is spelled: PyTorch's `_Formatter`.
///
/// One formatter serves the whole tensor so that the columns line up: the notation and the
/// common width are decided once, over the values the print shows (the summarized data when the
/// tensor is summarized), and every element is then right-aligned to that width.
struct ScalarFormatter {
    /// Every shown finite value is an integer: print `3.` rather than `3.0000`.
    let intMode: Bool
    /// Scientific notation (`1.0000e-05`), chosen when the nonzeroFinite span too wide a range.
    let sciMode: Bool
    /// The width every element is padded to; non-finite values do not take part, as in PyTorch,
    /// so `-inf` can be wider than this.
    let width: Int

    /// Decides the notation and width for `values` (the shown elements, as doubles).
    init(values: some Sequence<Double>) {
        // Zeros carry no magnitude, and nan/inf are printed by name whatever the notation.
        let nonzeroFinite = values.filter { $0.isFinite && $0 != 0 }
        guard let minimum = nonzeroFinite.lazy.map(\.magnitude).min(),
              let maximum = nonzeroFinite.lazy.map(\.magnitude).max()
        else {
            intMode = true
            sciMode = false
            width = 1
            return
        }
        let intMode = nonzeroFinite.allSatisfy { $0.rounded(.up) == $0 }
        let sciMode = maximum / minimum > 1000 || maximum > 1e8 || minimum < 1e-4
        var width = 1
        for value in nonzeroFinite {
            let length: Int
            if sciMode {
                length = printfFormat(value, precision: PrintOptions.precision, .scientific).count
            } else if intMode {
                // One more for the `.` that marks the dtype as floating.
                length = printfFormat(value, precision: 0, .fixed).count + 1
            } else {
                length = printfFormat(value, precision: PrintOptions.precision, .fixed).count
            }
            width = Swift.max(width, length)
        }
        self.intMode = intMode
        self.sciMode = sciMode
        self.width = width
    }

    /// `value` in the chosen notation, left-padded with spaces to ``width``.
    func format(_ value: Double) -> String {
        let text: String
        if value.isNaN {
            text = "nan"
        } else if value.isInfinite {
            text = value < 0 ? "-inf" : "inf"
        } else if sciMode {
            text = printfFormat(value, precision: PrintOptions.precision, .scientific)
        } else if intMode {
            text = printfFormat(value, precision: 0, .fixed) + "."
        } else {
            text = printfFormat(value, precision: PrintOptions.precision, .fixed)
        }
        return String(repeating: " ", count: Swift.max(0, width - text.count)) + text
    }
}
