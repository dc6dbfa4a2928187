/// The layout of a view, read from its shape array (Note [A view's layout in its shape's
/// capacity]).
///
/// Note [A view's layout in its shape's capacity]: a view's strides, offset, element count and
/// contiguity lie in its shape array's spare capacity, past the sizes: `[sizes…]` then, unseen
/// by the array, `[offset, count, isContiguous, strides…]`. A view is then one allocation, the
/// shape it needs anyway, and ``DenseTensor/shape`` stays a stored `[Int]` that costs nothing to
/// read; a row-major tensor's value stays three words, the third a flag with nothing to retain.
/// A layout object of its own was a second allocation per view op and a third reference to
/// retain on every copy of every tensor (view-chain, seed: callgrind). It is sound because a
/// `[Int]` never reads or writes its storage past `count` except to append, and it appends only
/// when uniquely referenced: while a view holds its shape, any other holder that appends copies
/// first, and each view's packed array is made fresh
/// (``packed(shape:strides:offset:count:contiguous:)``,
/// ``forView(of:isView:storageCount:rank:offset:_:)``) and never shared with another view. The
/// unsafe part is confined here: only this type writes or reads past the sizes.
@usableFromInline
enum ViewLayout {
    /// The element count of `shape`, whether `strides` are its row-major strides
    /// (``Shape/isRowMajor(shape:strides:)``) and whether they lay it out contiguously
    /// (``Shape/isContiguous(shape:strides:)``), in one pass: what every view is checked for.
    @inlinable @inline(__always)
    static func measure(shape: UnsafeBufferPointer<Int>, strides: UnsafeBufferPointer<Int>)
        -> (count: Int, rowMajor: Bool, contiguous: Bool) {
        var count = 1, running = 1, expected = 1, rowMajor = true, contiguous = true
        for axis in Swift.stride(from: shape.count &- 1, through: 0, by: -1) {
            let size = shape[axis], stride = strides[axis]
            if stride != running { rowMajor = false }
            running &*= Swift.max(size, 1)
            if size != 1 {
                if stride != expected { contiguous = false }
                expected &*= size
            }
            count &*= size
        }
        return (count, rowMajor, contiguous || count == 0)
    }

    /// `shape` with the layout packed past its sizes: a fresh array, never shared with another view.
    @inlinable
    static func packed(shape: [Int], strides: UnsafeBufferPointer<Int>, offset: Int, count: Int, contiguous: Bool) -> [Int] {
        let rank = shape.count
        var packed = [Int]()   // fresh, then filled as `forView` does
        packed.reserveCapacity(2 &* rank &+ 3)
        packed.append(contentsOf: shape)
        packed.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            p[rank] = offset
            p[rank &+ 1] = count
            p[rank &+ 2] = contiguous ? 1 : 0
            for k in 0..<rank { p[rank &+ 3 &+ k] = strides[k] }
        }
        return packed
    }

    // The layout is read from the packed array borrowed, as a static function's argument: a
    // value wrapping the array retained and released it on every read.

    /// The word `k` past the sizes of `packed`.
    @inlinable
    static func tail(_ packed: [Int], _ k: Int) -> Int {
        packed.withUnsafeBufferPointer { $0.baseAddress![$0.count &+ k] }
    }

    @inlinable static func offset(_ packed: [Int]) -> Int { tail(packed, 0) }
    @inlinable static func count(_ packed: [Int]) -> Int { tail(packed, 1) }
    @inlinable static func isContiguous(_ packed: [Int]) -> Bool { tail(packed, 2) != 0 }

    /// Writes a view's sizes and strides (the first two) given its base's (the last two).
    @usableFromInline
    typealias Fill = (_ shape: UnsafeMutableBufferPointer<Int>, _ strides: UnsafeMutableBufferPointer<Int>,
                      _ oldShape: UnsafeBufferPointer<Int>, _ oldStrides: UnsafeBufferPointer<Int>) -> Void

    /// The packed shape of a view of rank `rank` from `offset` of a tensor of `oldShape` (packed
    /// itself when `oldIsView`, else row-major), whose sizes and strides `fill` writes, and whether it
    /// is a view at all (not when it is row-major over the whole storage). Made in one array,
    /// outside any generic context: building the tensor in here looked up its generic metadata
    /// on every call.
    @inlinable @inline(__always)
    static func forView(of oldShape: [Int], isView oldIsView: Bool, storageCount: Int, rank: Int, offset: Int,
                        _ fill: Fill) -> (packed: [Int], isView: Bool) {
        // A copy of the old shape with room for the layout: `reserveCapacity` on a shared array
        // makes a fresh one (the old tensor holds the old), through the standard library's
        // copy specialized for `[Int]`; `Array(unsafeUninitializedCapacity:)` reaches an
        // unspecialized initializer that looks up the array's generic metadata on every call
        // (callgrind: a view op ran half again as many instructions).
        var packed = oldShape
        packed.reserveCapacity(2 &* rank &+ 3)
        // One element at a time: `removeLast(_:)` goes through the general `replaceSubrange`.
        while packed.count > rank { packed.removeLast() }
        while packed.count < rank { packed.append(0) }
        var isView = true
        packed.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            let shape = UnsafeMutableBufferPointer(start: p, count: rank)
            let strides = UnsafeMutableBufferPointer(start: p + (rank &+ 3), count: rank)
            oldShape.withUnsafeBufferPointer { old in
                if oldIsView {
                    withStrides(oldShape) { fill(shape, strides, old, $0) }
                } else {
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: old.count) { oldStrides in
                        var running = 1
                        for axis in Swift.stride(from: old.count - 1, through: 0, by: -1) {
                            oldStrides[axis] = running
                            running &*= Swift.max(old[axis], 1)
                        }
                        fill(shape, strides, old, UnsafeBufferPointer(oldStrides))
                    }
                }
            }
            let (count, rowMajor, contiguous) = measure(shape: UnsafeBufferPointer(shape), strides: UnsafeBufferPointer(strides))
            isView = !(offset == 0 && count == storageCount && rowMajor)
            p[rank] = offset
            p[rank &+ 1] = count
            p[rank &+ 2] = contiguous ? 1 : 0
        }
        return (packed, isView)
    }

    /// Calls `body` with the strides of `packed`.
    @inlinable
    static func withStrides<R>(_ packed: [Int], _ body: (UnsafeBufferPointer<Int>) throws -> R) rethrows -> R {
        try packed.withUnsafeBufferPointer { try body(UnsafeBufferPointer(start: $0.baseAddress! + ($0.count &+ 3), count: $0.count)) }
    }

    /// The stride of dimension `axis`.
    @inlinable static func stride(_ packed: [Int], _ axis: Int) -> Int { tail(packed, 3 &+ axis) }

    @inlinable static func strides(_ packed: [Int]) -> [Int] { withStrides(packed) { Array($0) } }
}
