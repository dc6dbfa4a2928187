// The inner loops every elementwise kernel is built from. Each takes its per-element work as two
// `@inline(__always)` closures, a SIMD16 one and a scalar one for the tail: once the calling
// kernel is specialized for Float or Double, the closures are inlined and the loop runs on
// vector registers with no call per element (checked with objdump: see kernels' notes).

@usableFromInline typealias Vec<S: TensorScalar> = SIMD16<S>

@inlinable @inline(__always)
func loadVec<S: TensorScalar>(_ p: UnsafePointer<S>, _ j: Int) -> SIMD16<S> {
    UnsafeRawPointer(p).loadUnaligned(fromByteOffset: j &* MemoryLayout<SIMD16<S>>.stride, as: SIMD16<S>.self)
}

@inlinable @inline(__always)
func storeVec<S: TensorScalar>(_ v: SIMD16<S>, _ p: UnsafeMutablePointer<S>, _ j: Int) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, toByteOffset: j &* MemoryLayout<SIMD16<S>>.stride, as: SIMD16<S>.self)
}

/// `out[i] = f(a[i])` for `i in 0..<n`.
@inlinable @inline(__always)
func mapLoopSerial<S: TensorScalar>(
    _ a: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int,
    _ vector: (SIMD16<S>) -> SIMD16<S>, _ scalar: (S) -> S
) {
    let blocks = n / 16
    for j in 0..<blocks { storeVec(vector(loadVec(a, j)), out, j) }
    for i in (blocks &* 16)..<n { out[i] = scalar(a[i]) }
}

/// `out[i] = f(a[i])` for functions with no vector form (exp, log, tanh...): one libm call each.
@inlinable @inline(__always)
func mapScalarLoopSerial<S: TensorScalar>(
    _ a: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int, _ scalar: (S) -> S
) {
    for i in 0..<n { out[i] = scalar(a[i]) }
}

/// `out[i] = f(a[i], b[i])` for functions whose SIMD form would need lane masks: Swift's generic
/// SIMD comparisons (`.<`, `replacing(with:where:)`) lower to a lane-by-lane loop through
/// memory, while LLVM turns this plain loop's `?:` into vector compares and blends.
@inlinable @inline(__always)
func zipScalarLoopSerial<S: TensorScalar>(
    _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int, _ scalar: (S, S) -> S
) {
    for i in 0..<n { out[i] = scalar(a[i], b[i]) }
}

/// `out[i] = f(a[i], b[i])`: both operands contiguous.
@inlinable @inline(__always)
func zipLoopSerial<S: TensorScalar>(
    _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int,
    _ vector: (SIMD16<S>, SIMD16<S>) -> SIMD16<S>, _ scalar: (S, S) -> S
) {
    let blocks = n / 16
    for j in 0..<blocks { storeVec(vector(loadVec(a, j), loadVec(b, j)), out, j) }
    for i in (blocks &* 16)..<n { out[i] = scalar(a[i], b[i]) }
}

/// `out[i] = f(a[i], b)`: the right operand is one value.
@inlinable @inline(__always)
func zipLoopSerial<S: TensorScalar>(
    _ a: UnsafePointer<S>, scalar b: S, _ out: UnsafeMutablePointer<S>, _ n: Int,
    _ vector: (SIMD16<S>, SIMD16<S>) -> SIMD16<S>, _ scalar: (S, S) -> S
) {
    let blocks = n / 16
    let vb = SIMD16<S>(repeating: b)
    for j in 0..<blocks { storeVec(vector(loadVec(a, j), vb), out, j) }
    for i in (blocks &* 16)..<n { out[i] = scalar(a[i], b) }
}

/// `out[i] = f(a, b[i])`: the left operand is one value.
@inlinable @inline(__always)
func zipLoopSerial<S: TensorScalar>(
    scalar a: S, _ b: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int,
    _ vector: (SIMD16<S>, SIMD16<S>) -> SIMD16<S>, _ scalar: (S, S) -> S
) {
    let blocks = n / 16
    let va = SIMD16<S>(repeating: a)
    for j in 0..<blocks { storeVec(vector(va, loadVec(b, j)), out, j) }
    for i in (blocks &* 16)..<n { out[i] = scalar(a, b[i]) }
}

/// Walks the outer dimensions of a broadcast operation and calls `row` for each run of the
/// innermost dimension, with the operands' starting offsets. `stridesA`/`stridesB` are the
/// operands' strides aligned to `shape`, 0 where a dimension is broadcast.
@inlinable @inline(__always)
func forEachRow(
    shape: [Int], stridesA: [Int], stridesB: [Int],
    _ row: (_ offsetA: Int, _ offsetB: Int, _ offsetOut: Int) -> Void
) {
    let rank = shape.count
    if rank == 0 { row(0, 0, 0); return }
    let inner = shape[rank - 1]
    let outer = Shape.count(shape) / Swift.max(inner, 1)
    if inner == 0 || outer == 0 { return }
    var index = [Int](repeating: 0, count: rank)
    var offA = 0, offB = 0
    for r in 0..<outer {
        row(offA, offB, r &* inner)
        // Advance the multi-index over the dims before the last, carrying as needed.
        var axis = rank - 2
        while axis >= 0 {
            index[axis] += 1
            offA &+= stridesA[axis]
            offB &+= stridesB[axis]
            if index[axis] < shape[axis] { break }
            offA &-= stridesA[axis] &* shape[axis]
            offB &-= stridesB[axis] &* shape[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}

/// The strides of a tensor of `shape` read as if broadcast to `target` (0 on broadcast dims).
@inlinable
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let own = Shape.strides(shape)
    let lead = target.count - shape.count
    var out = [Int](repeating: 0, count: target.count)
    for i in 0..<shape.count where shape[i] != 1 || target[lead + i] == 1 {
        out[lead + i] = shape[i] == 1 ? 0 : own[i]
    }
    return out
}

// MARK: - The same loops, split across cores for large counts (Note [Parallel kernels])

@inlinable @inline(__always)
func mapLoop<S: TensorScalar>(
    _ a: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int,
    _ vector: (SIMD16<S>) -> SIMD16<S>, _ scalar: (S) -> S
) {
    Parallel.forEachBlock(n) { r in mapLoopSerial(a + r.lowerBound, out + r.lowerBound, r.count, vector, scalar) }
}

@inlinable @inline(__always)
func mapScalarLoop<S: TensorScalar>(
    _ a: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int, _ scalar: (S) -> S
) {
    Parallel.forEachBlock(n) { r in mapScalarLoopSerial(a + r.lowerBound, out + r.lowerBound, r.count, scalar) }
}

@inlinable @inline(__always)
func zipScalarLoop<S: TensorScalar>(
    _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int, _ scalar: (S, S) -> S
) {
    Parallel.forEachBlock(n) { r in
        zipScalarLoopSerial(a + r.lowerBound, b + r.lowerBound, out + r.lowerBound, r.count, scalar)
    }
}

@inlinable @inline(__always)
func zipLoop<S: TensorScalar>(
    _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int,
    _ vector: (SIMD16<S>, SIMD16<S>) -> SIMD16<S>, _ scalar: (S, S) -> S
) {
    Parallel.forEachBlock(n) { r in
        zipLoopSerial(a + r.lowerBound, b + r.lowerBound, out + r.lowerBound, r.count, vector, scalar)
    }
}

@inlinable @inline(__always)
func zipLoop<S: TensorScalar>(
    _ a: UnsafePointer<S>, scalar b: S, _ out: UnsafeMutablePointer<S>, _ n: Int,
    _ vector: (SIMD16<S>, SIMD16<S>) -> SIMD16<S>, _ scalar: (S, S) -> S
) {
    Parallel.forEachBlock(n) { r in
        zipLoopSerial(a + r.lowerBound, scalar: b, out + r.lowerBound, r.count, vector, scalar)
    }
}

@inlinable @inline(__always)
func zipLoop<S: TensorScalar>(
    scalar a: S, _ b: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int,
    _ vector: (SIMD16<S>, SIMD16<S>) -> SIMD16<S>, _ scalar: (S, S) -> S
) {
    Parallel.forEachBlock(n) { r in
        zipLoopSerial(scalar: a, b + r.lowerBound, out + r.lowerBound, r.count, vector, scalar)
    }
}
