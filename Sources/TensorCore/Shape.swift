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

    /// Row-major strides, in elements. A size of 0 counts as 1 here, as in PyTorch's contiguous
    /// strides (`torch.zeros(2, 0, 3).stride()` is `(3, 3, 1)`); no element is ever read through
    /// them then.
    @inlinable
    public static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running &*= Swift.max(shape[axis], 1)
        }
        return strides
    }

    /// Whether `strides` are exactly `shape`'s row-major strides (``strides(_:)``), without
    /// making that array.
    @inlinable
    public static func isRowMajor(shape: [Int], strides: [Int]) -> Bool {
        guard shape.count == strides.count else { return false }
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            if strides[axis] != running { return false }
            running &*= Swift.max(shape[axis], 1)
        }
        return true
    }

    /// Whether `strides` lay `shape` out row-major, ignoring the strides of size-1 dimensions
    /// (PyTorch's `is_contiguous()`); a tensor with no elements is contiguous, whatever its strides.
    @inlinable
    public static func isContiguous(shape: [Int], strides: [Int]) -> Bool {
        if shape.contains(0) { return true }
        var expected = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            let size = shape[axis]
            if size == 1 { continue }
            if strides[axis] != expected { return false }
            expected &*= size
        }
        return true
    }

    /// The strides under which a tensor of `shape` and `strides` can be read as `newShape` with no
    /// copy, or `nil` where it can't (PyTorch's `computeStride`, the rule of `view`): each run of
    /// old dimensions that is contiguous in memory may be split or merged freely.
    public static func viewStrides(shape: [Int], strides: [Int], as newShape: [Int]) -> [Int]? {
        var out = [Int](repeating: 0, count: newShape.count)
        let ok = shape.withUnsafeBufferPointer { s in strides.withUnsafeBufferPointer { st in
            newShape.withUnsafeBufferPointer { n in out.withUnsafeMutableBufferPointer { viewStrides(shape: s, strides: st, as: n, into: $0) } }
        } }
        return ok ? out : nil
    }

    /// ``viewStrides(shape:strides:as:)`` written into `out` (`newShape.count` of them), for a
    /// view that builds its layout in place; whether the view exists (`out` is all zeros where
    /// it doesn't).
    @inlinable
    public static func viewStrides(shape: UnsafeBufferPointer<Int>, strides: UnsafeBufferPointer<Int>,
                                   as newShape: UnsafeBufferPointer<Int>, into out: UnsafeMutableBufferPointer<Int>) -> Bool {
        var count = 1
        for size in shape { count &*= size }
        // PyTorch's choices where no element constrains the strides: an empty tensor keeps its
        // strides under its own shape, else takes contiguous ones; a 0-d tensor's view has all 1s.
        if count == 0 {
            if shape.elementsEqual(newShape) {
                for k in 0..<out.count { out[k] = strides[k] }
            } else {
                var running = 1
                for axis in Swift.stride(from: newShape.count - 1, through: 0, by: -1) {
                    out[axis] = running
                    running &*= Swift.max(newShape[axis], 1)
                }
            }
            return true
        }
        if shape.isEmpty {
            for k in 0..<out.count { out[k] = 1 }
            return true
        }
        for k in 0..<out.count { out[k] = 0 }
        var viewDim = newShape.count - 1
        var chunkBase = strides.last ?? 1
        var tensorElements = 1
        var viewElements = 1
        for dim in Swift.stride(from: shape.count - 1, through: 0, by: -1) {
            tensorElements &*= shape[dim]
            // The end of a contiguous chunk: lay the view's dimensions over it.
            if dim == 0 || (shape[dim - 1] != 1 && strides[dim - 1] != tensorElements &* chunkBase) {
                while viewDim >= 0 && (viewElements < tensorElements || newShape[viewDim] == 1) {
                    out[viewDim] = viewElements &* chunkBase
                    viewElements &*= newShape[viewDim]
                    viewDim -= 1
                }
                if viewElements != tensorElements { break }
                if dim > 0 {
                    chunkBase = strides[dim - 1]
                    tensorElements = 1
                    viewElements = 1
                }
            }
        }
        guard viewDim == -1 && viewElements == tensorElements else {
            for k in 0..<out.count { out[k] = 0 }
            return false
        }
        return true
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
