/// One of a segment's tables (its nodes, saved values, shapes, leaves, gradient slots): a
/// growable array that one segment owns alone.
///
/// Note [Segment tables]: `ContiguousArray` asks whether its buffer is uniquely referenced
/// before every write (copy-on-write), and emptying one in place took a check per element
/// (`removeLast()`, as `removeAll(keepingCapacity:)` goes through the generic `replaceSubrange`):
/// 42 such checks in the seed step, ~250 instructions of its ~10,000, for tables that are never
/// shared. A segment's tables belong to it and to the thread that records into it. This table
/// is a class the segment holds in a `let`, so its storage has one owner and writes need no
/// check; it grows by doubling, and `removeAll()` keeps the capacity, so a steady training loop
/// allocates nothing here. Elements are reached in place (`segment.grads[i].take()` moves a
/// gradient out without a copy). Indices are checked, as an array's are. (A `~Copyable` struct
/// held in the segment's `var` said the same without the object, but Swift 6.3.1 crashes
/// compiling its users under ThreadSanitizer: "Invalid bitcast", CI's sanitizer build.)
final class SegmentTable<Element> {
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<Element>?
    @exclusivity(unchecked) private(set) var count = 0
    @exclusivity(unchecked) private var capacity = 0

    init() {}

    deinit {
        guard let base else { return }
        Self.destroy(base, count)
        base.deallocate()
    }

    /// Each element moved out and dropped: `deinitialize(count:)` calls the runtime's generic
    /// `swift_arrayDestroy` (type metadata, a value-witness call per element), ~35 instructions
    /// a gradient slot in the seed step; a moved-out element is destroyed by code specialized
    /// for its type, and a plain one (a node pointer, an `Int`) costs nothing.
    @inline(__always)
    private static func destroy(_ base: UnsafeMutablePointer<Element>, _ count: Int) {
        guard !_isPOD(Element.self) else { return }
        for i in 0..<count { _ = (base + i).move() }
    }

    var indices: Range<Int> { 0..<count }

    @inline(__always)
    func append(_ element: __owned Element) {
        if count == capacity { grow(to: Swift.max(16, capacity * 2)) }
        (base.unsafelyUnwrapped + count).initialize(to: element)
        count += 1
    }

    /// Appends `n` copies of `element`.
    func append(repeating element: Element, count n: Int) {
        guard n > 0 else { return }
        if count + n > capacity { grow(to: Swift.max(16, capacity * 2, count + n)) }
        (base.unsafelyUnwrapped + count).initialize(repeating: element, count: n)
        count += n
    }

    @inline(never)
    private func grow(to newCapacity: Int) {
        let new = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        if let base {
            new.moveInitialize(from: base, count: count)
            base.deallocate()
        }
        base = new
        capacity = newCapacity
    }

    /// Empties the table, keeping its storage.
    @inline(__always)
    func removeAll() {
        guard count > 0 else { return }
        let n = count
        count = 0   // first: an element's deinit that looked here would find the table empty
        Self.destroy(base.unsafelyUnwrapped, n)
    }

    subscript(i: Int) -> Element {
        @inline(__always)
        unsafeAddress {
            precondition(i >= 0 && i < count, "SegmentTable index out of range")
            return UnsafePointer(base.unsafelyUnwrapped + i)
        }
        @inline(__always)
        unsafeMutableAddress {
            precondition(i >= 0 && i < count, "SegmentTable index out of range")
            return base.unsafelyUnwrapped + i
        }
    }
}
