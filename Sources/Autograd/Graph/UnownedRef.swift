/// A reference that holds no count on an object something else keeps alive: a graph segment
/// (owned by its graph, Note [Segment lifetime] in Segment.swift) or a thread's graph (owned by
/// the thread's context).
///
/// The graph's bookkeeping copies these references on every op and every node of a backward
/// sweep. A strong reference cost an atomic retain and release at each copy, and a stored
/// `unowned(unsafe)` field was still retained around every use; so the graph holds them as this
/// wrapper of `Unmanaged`, the one place that says what guards them: the owner outlives every
/// use (a segment is reset, never freed, while its graph lives; a graph lives with its thread).
/// `with` lends the object for a call without a retain.
struct UnownedRef<Object: AnyObject> {
    private let unmanaged: Unmanaged<Object>

    @inline(__always)
    init(_ object: Object) { unmanaged = .passUnretained(object) }

    /// The object, as a strong reference (for the paths that are not per op).
    @inline(__always)
    var object: Object { unmanaged.takeUnretainedValue() }

    /// Calls `body` with the object borrowed: no retain and release around the call.
    @inline(__always)
    func with<R>(_ body: (Object) throws -> R) rethrows -> R {
        try unmanaged._withUnsafeGuaranteedRef(body)
    }

    /// Whether both refer to the same object.
    @inline(__always)
    static func === (a: UnownedRef, b: UnownedRef) -> Bool { a.unmanaged.toOpaque() == b.unmanaged.toOpaque() }
}
