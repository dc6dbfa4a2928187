extension ContiguousArray {
    /// Empties the array in place, keeping its buffer: the graph's tables are emptied every
    /// step and refilled to the same size.
    ///
    /// `removeAll(keepingCapacity: true)` goes through the generic `replaceSubrange`, about 170
    /// instructions even on an empty array, which made freeing a small graph cost more than
    /// recording it. Short tables pop element by element instead (the specialized fast path).
    @inline(__always)
    mutating func removeAllInPlace() {
        if isEmpty { return }
        if count <= 16 {
            while !isEmpty { removeLast() }
        } else {
            removeAll(keepingCapacity: true)
        }
    }
}
