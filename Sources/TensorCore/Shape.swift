import Arena

/// Shape arithmetic: element counts, row-major strides, broadcasting and `dim` normalization.
///
/// Validation that can fail on outside data throws ``TensorError``; the checks an operator makes on
/// its operands trap with PyTorch's wording, because a wrong shape there is a programmer error.
public enum Shape {
    /// The number of elements of `shape`, or a ``TensorError`` for a negative or overflowing size.
    public static func checkedCount(_ shape: [Int]) throws(TensorError) -> Int {
        var count = 1
        for size in shape {
            guard size >= 0 else { throw .negativeDimension(shape: shape) }
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw .shapeTooLarge(shape: shape) }
            count = product
        }
        return count
    }

    /// The number of elements of a shape already known to be valid.
    @inlinable
    public static func count(_ shape: [Int]) -> Int {
        var count = 1
        for size in shape { count &*= size }
        return count
    }

    /// Row-major strides, in elements.
    @inlinable
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running &*= shape[axis]
        }
        return strides
    }

    /// The shape two operands broadcast to (NumPy rules), trapping with PyTorch's message.
    @inlinable
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int] {
        if a == b { return a }
        let rank = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let sa = i - (rank - a.count) >= 0 ? a[i - (rank - a.count)] : 1
            let sb = i - (rank - b.count) >= 0 ? b[i - (rank - b.count)] : 1
            if sa == sb || sb == 1 {
                out[i] = sa
            } else if sa == 1 {
                out[i] = sb
            } else {
                trap(
                    "The size of tensor a (\(sa)) must match the size of tensor b (\(sb)) at non-singleton dimension \(i)")
            }
        }
        return out
    }

    /// Whether `shape` can be expanded to `target` (PyTorch's `expand` rules).
    @inlinable
    public static func checkExpand(_ shape: [Int], to target: [Int]) {
        trapUnless(
            target.count >= shape.count,
            "expand: the number of sizes provided (\(target.count)) must be greater or equal to the number of dimensions in the tensor (\(shape.count))"
        )
        let lead = target.count - shape.count
        for i in 0..<shape.count where shape[i] != target[lead + i] && shape[i] != 1 {
            trap(
                "The expanded size of the tensor (\(target[lead + i])) must match the existing size (\(shape[i])) at non-singleton dimension \(lead + i).  Target sizes: \(target).  Tensor sizes: \(shape)"
            )
        }
    }

    /// Turns a possibly negative `dim` into an index in `0..<rank`, trapping with PyTorch's message.
    ///
    /// As in PyTorch, a 0-d tensor accepts the dims of a 1-d one (`0` and `-1`).
    @inlinable
    public static func normalize(dim: Int, rank: Int) -> Int {
        let effective = Swift.max(rank, 1)
        guard dim >= -effective && dim < effective else {
            trap(
                "Dimension out of range (expected to be in range of [\(-effective), \(effective - 1)], but got \(dim))")
        }
        return dim < 0 ? dim + effective : dim
    }

    /// The shape a reshape to `shape` (with at most one `-1`) gives for `count` elements.
    public static func inferReshape(_ shape: [Int], count: Int) throws(TensorError) -> [Int] {
        var inferred = -1
        var known = 1
        for (i, size) in shape.enumerated() {
            if size == -1 {
                guard inferred < 0 else { throw .invalidReshape(shape: shape, count: count) }
                inferred = i
            } else if size < 0 {
                throw .invalidReshape(shape: shape, count: count)
            } else {
                known *= size
            }
        }
        var out = shape
        if inferred >= 0 {
            guard known > 0, count % known == 0 else { throw .invalidReshape(shape: shape, count: count) }
            out[inferred] = count / known
        } else if known != count {
            throw .invalidReshape(shape: shape, count: count)
        }
        return out
    }
}
