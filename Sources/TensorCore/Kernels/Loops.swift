import RealModule

// The inner loops every elementwise kernel is built from.
//
// Note [Kernel functions]: a loop takes its per-element work as a *type* (a caseless enum
// conforming to `ElementFunction1`/`ElementFunction2`), never as a closure value. Closures were
// tried first: passed down through the broadcasting driver and `storage.read {}` they were not
// inlined, and each SIMD16 block became a call with its vectors spilled to the stack (a+b on 1e5
// floats ran at a third of its speed). A type parameter is resolved when the kernel is
// specialized, the function inlines, and LLVM vectorizes the plain loop (packed SSE in a default
// build, AVX/AVX-512 with -march; scripts/check-vectorized.sh checks the assembly).

/// An elementwise function of one value.
@usableFromInline protocol ElementFunction1 {
    static func apply<S: TensorScalar>(_ x: S) -> S
}

/// An elementwise function of two values.
@usableFromInline protocol ElementFunction2 {
    static func apply<S: TensorScalar>(_ a: S, _ b: S) -> S
}

/// The element functions of the kernels (see Note [Kernel functions]).
@usableFromInline enum Fn {
    @usableFromInline enum Neg: ElementFunction1 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ x: S) -> S { -x } }
    @usableFromInline enum Abs: ElementFunction1 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ x: S) -> S { Swift.abs(x) } }
    /// NaN passes through, as PyTorch's clamp_min keeps it.
    @usableFromInline enum Relu: ElementFunction1 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ x: S) -> S { x < 0 ? 0 : x } }
    @usableFromInline enum Sqrt: ElementFunction1 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ x: S) -> S { x.squareRoot() } }
    @usableFromInline enum Square: ElementFunction1 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ x: S) -> S { x * x } }
    @usableFromInline enum Identity: ElementFunction1 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ x: S) -> S { x } }
    @usableFromInline enum Exp: ElementFunction1 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ x: S) -> S { S.exp(x) } }
    @usableFromInline enum Log: ElementFunction1 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ x: S) -> S { S.log(x) } }
    @usableFromInline enum Tanh: ElementFunction1 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ x: S) -> S { S.tanh(x) } }
    @usableFromInline enum Sigmoid: ElementFunction1 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ x: S) -> S { 1 / (1 + S.exp(-x)) } }

    @usableFromInline enum Add: ElementFunction2 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ a: S, _ b: S) -> S { a + b } }
    @usableFromInline enum Sub: ElementFunction2 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ a: S, _ b: S) -> S { a - b } }
    @usableFromInline enum Mul: ElementFunction2 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ a: S, _ b: S) -> S { a * b } }
    @usableFromInline enum Div: ElementFunction2 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ a: S, _ b: S) -> S { a / b } }
    /// `(grad, x)`: PyTorch's `threshold_backward(grad, result, 0)`; not `x > 0 ? g : 0`, which
    /// differs at NaN, where PyTorch passes the gradient on.
    @usableFromInline enum ReluBackward: ElementFunction2 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ g: S, _ x: S) -> S { x <= 0 ? 0 : g } }
    @usableFromInline enum SigmoidBackward: ElementFunction2 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ g: S, _ y: S) -> S { g * y * (1 - y) } }
    @usableFromInline enum TanhBackward: ElementFunction2 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ g: S, _ y: S) -> S { g * (1 - y * y) } }
    /// `(grad, x)`: `grad · sgn(x)`, with PyTorch's sgn: 0 at 0 and at NaN.
    @usableFromInline enum AbsBackward: ElementFunction2 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ g: S, _ x: S) -> S { x > 0 ? g : (x < 0 ? -g : 0) } }
    @usableFromInline enum SqrtBackward: ElementFunction2 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ g: S, _ y: S) -> S { g / (2 * y) } }
    /// `(grad, x)`: not `2 * g * x`, which rounds differently where `2x` overflows or `g·x` is subnormal.
    @usableFromInline enum SelfProductBackward: ElementFunction2 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ g: S, _ x: S) -> S { let t = g * x; return t + t } }
    /// `(x, grad)`: the derivative of `x²`.
    @usableFromInline enum SquareBackward: ElementFunction2 { @inlinable @inline(__always) static func apply<S: TensorScalar>(_ x: S, _ g: S) -> S { 2 * x * g } }
}

// Note [In-place loops]: LLVM vectorizes `out[i] = f(a[i], b[i])` behind a run-time check that
// `out` overlaps neither input, and runs the scalar loop when it does. Written in place
// (`out == a`: `+=`, and a derivative writing over the gradient it received) the check always
// failed: ReLU's derivative ran 8× slower in place than into a new buffer (the mlp-large step on
// 2 threads, `perf record`). The in-place case reads and writes through one pointer, which
// needs no check.

// MARK: - Contiguous loops, split across cores for large counts (Note [Parallel kernels]),
// streaming their output above `streamingFillBytes` (`DenseTensor.streamingStore`)

/// `out[i] = F(a[i])` for `i in 0..<n`.
@inlinable @inline(__always)
func mapLoop<S: TensorScalar, F: ElementFunction1>(_: F.Type, _ a: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int) {
    let streaming = n &* MemoryLayout<S>.stride >= DenseTensor<S>.streamingFillBytes
    let inPlace = UnsafePointer(out) == a
    Parallel.forEachBlock(n) { r in
        if streaming {
            DenseTensor<S>.streamingStore(out, r) { o, c in for i in c { o[i] = F.apply(a[i]) } }
        } else if inPlace {   // Note [In-place loops]
            for i in r { out[i] = F.apply(out[i]) }
        } else {
            for i in r { out[i] = F.apply(a[i]) }
        }
    }
}

/// `out[i] = F(a[i], b[i])`.
@inlinable @inline(__always)
func zipLoop<S: TensorScalar, F: ElementFunction2>(
    _: F.Type, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int
) {
    let streaming = n &* MemoryLayout<S>.stride >= DenseTensor<S>.streamingFillBytes
    let inPlace = UnsafePointer(out) == a
    Parallel.forEachBlock(n) { r in
        if streaming {
            DenseTensor<S>.streamingStore(out, r) { o, c in for i in c { o[i] = F.apply(a[i], b[i]) } }
        } else if inPlace {   // Note [In-place loops]
            for i in r { out[i] = F.apply(out[i], b[i]) }
        } else {
            for i in r { out[i] = F.apply(a[i], b[i]) }
        }
    }
}

/// `out[i] = F(a[i], b)`: the right operand is one value.
@inlinable @inline(__always)
func zipLoop<S: TensorScalar, F: ElementFunction2>(
    _: F.Type, _ a: UnsafePointer<S>, scalar b: S, _ out: UnsafeMutablePointer<S>, _ n: Int
) {
    let streaming = n &* MemoryLayout<S>.stride >= DenseTensor<S>.streamingFillBytes
    let inPlace = UnsafePointer(out) == a
    Parallel.forEachBlock(n) { r in
        if streaming {
            DenseTensor<S>.streamingStore(out, r) { o, c in for i in c { o[i] = F.apply(a[i], b) } }
        } else if inPlace {   // Note [In-place loops]
            for i in r { out[i] = F.apply(out[i], b) }
        } else {
            for i in r { out[i] = F.apply(a[i], b) }
        }
    }
}

/// `out[i] = F(a, b[i])`: the left operand is one value.
@inlinable @inline(__always)
func zipLoop<S: TensorScalar, F: ElementFunction2>(
    _: F.Type, scalar a: S, _ b: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, _ n: Int
) {
    let streaming = n &* MemoryLayout<S>.stride >= DenseTensor<S>.streamingFillBytes
    let inPlace = UnsafePointer(out) == b
    Parallel.forEachBlock(n) { r in
        if streaming {
            DenseTensor<S>.streamingStore(out, r) { o, c in for i in c { o[i] = F.apply(a, b[i]) } }
        } else if inPlace {   // Note [In-place loops]
            for i in r { out[i] = F.apply(a, out[i]) }
        } else {
            for i in r { out[i] = F.apply(a, b[i]) }
        }
    }
}

/// `out[r·inner + i] = F(a[r·inner + i], b[i])` for `rows` rows: a row `b` broadcast down a
/// dense matrix `a` (a bias added to every row of a batch). For small work only (no split, no
/// streaming stores): one loop over the rows where the broadcasting driver called a whole
/// `zipLoop` per row, ~5 % of a small MLP step spent on two bias additions.
@inlinable @inline(__always)
func zipRowsLoop<S: TensorScalar, F: ElementFunction2>(
    _: F.Type, _ a: UnsafePointer<S>, row b: UnsafePointer<S>, _ out: UnsafeMutablePointer<S>, rows: Int, inner: Int
) {
    if UnsafePointer(out) == a {   // Note [In-place loops]
        for r in 0..<rows {
            let o = out + r &* inner
            for i in 0..<inner { o[i] = F.apply(o[i], b[i]) }
        }
    } else {
        for r in 0..<rows {
            let x = a + r &* inner, o = out + r &* inner
            for i in 0..<inner { o[i] = F.apply(x[i], b[i]) }
        }
    }
}

/// `out[i] += Σ_r a[r·inner + i]`, rows added in order: a dense matrix summed down its rows
/// into one row (a bias's gradient), for small work (see `zipRowsLoop`).
@inlinable @inline(__always)
func sumRowsLoop<S: TensorScalar>(_ a: UnsafePointer<S>, into out: UnsafeMutablePointer<S>, rows: Int, inner: Int) {
    for r in 0..<rows {
        let x = a + r &* inner
        for i in 0..<inner { out[i] += x[i] }
    }
}

// MARK: - Broadcasting support

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
    // The multi-index on the stack: an array here was an allocation per strided op.
    withUnsafeTemporaryAllocation(of: Int.self, capacity: rank) { index in
        index.initialize(repeating: 0)
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
}


/// SIMD16 load at block `j` (for the explicit-accumulator reductions).
@inlinable @inline(__always)
func loadVec<S: TensorScalar>(_ p: UnsafePointer<S>, _ j: Int) -> SIMD16<S> {
    UnsafeRawPointer(p).loadUnaligned(fromByteOffset: j &* MemoryLayout<SIMD16<S>>.stride, as: SIMD16<S>.self)
}
