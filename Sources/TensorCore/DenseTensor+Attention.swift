import Arena
import RealModule

// Note [Fused attention]: scaled dot-product attention over a batch of independent problems
// (the leading dimensions, batch × heads), one matrix per problem for each of Q [L, E], K [S, E],
// V [S, Ev]. Forward: P = softmax(scale · Q·Kᵀ, masked) written by one GEMM straight into P's
// buffer, masked and normalized row by row in place, then O = P·V by a second GEMM into the
// output. P is the value the backward keeps (the probabilities; recomputing them would cost the
// first GEMM and the exps again). Backward, with dP = dO·Vᵀ in one reused scratch matrix per
// thread:
//
//     dV = Pᵀ·dO      dS = P ∘ (dP − rowsum(P ∘ dP))      dQ = scale · dS·K      dK = scale · dSᵀ·Q
//
// (rowsum(P ∘ dP) equals rowsum(dO ∘ O), since O = P·V, so the output need not be kept.) Nothing
// is allocated besides the outputs, P and that scratch. A row with no allowed position is all
// zeros in P (PyTorch 2.11's CPU kernels give 0 there, forward and backward, not NaN). Operands
// are read where they lie when each matrix's rows are unit-stride (a head split out of
// `[B, L, H, D]` by a transpose is), otherwise copied row-major first. The problems split across
// threads; each GEMM runs on the thread of its problem (a nested split runs inline).

/// One operand of the fused attention: `[batch..., rows, cols]` whose rows are unit-stride
/// (`cols` elements one after another, rows `ld` apart), with the offset of each problem's
/// matrix computed from the leading dimensions' strides.
struct _AttentionOperand<Scalar: TensorScalar> {
    let tensor: DenseTensor<Scalar>
    let ld: Int
    /// Up to four leading dimensions (more are made one, by a contiguous copy) and their
    /// strides, inline: the arrays they were made two allocations per operand, and with the
    /// strides read out as an array a third, 33 of SDPA's 51 mallocs forward and backward.
    let batchShape: SIMD4<Int>
    let batchStrides: SIMD4<Int>
    let batchRank: Int

    init(_ t: DenseTensor<Scalar>) {
        let r = t.rank, lead = r - 2
        let (rows, cols) = (t.shape[r - 2], t.shape[r - 1])
        var source = t
        let unitRows = (cols <= 1 || Self.stride(t, r - 1) == 1) && (rows <= 1 || Self.stride(t, r - 2) >= cols)
        if !unitRows || lead > 4 { source = t.contiguous() }
        tensor = source
        ld = rows <= 1 ? Swift.max(cols, 1) : Self.stride(source, r - 2)
        var shape = SIMD4<Int>(repeating: 1), strides = SIMD4<Int>(repeating: 0)
        if lead > 4 {
            // Contiguous: the leading dimensions are one, of stride rows × cols.
            shape[0] = t.shape[..<lead].reduce(1, *)
            strides[0] = rows &* cols
            batchRank = 1
        } else {
            for d in 0..<lead {
                shape[d] = t.shape[d]
                strides[d] = Self.stride(source, d)
            }
            batchRank = lead
        }
        batchShape = shape
        batchStrides = strides
    }

    /// Dimension `d`'s stride, read without making the strides array.
    private static func stride(_ t: DenseTensor<Scalar>, _ d: Int) -> Int {
        if t._isView { return ViewLayout.stride(t.shape, d) }
        var product = 1
        for e in (d + 1)..<t.rank { product &*= t.shape[e] }
        return product
    }

    /// The first element of problem `i` (row-major over the leading dimensions).
    @inline(__always)
    func matrix(_ i: Int) -> UnsafeMutablePointer<Scalar> {
        var rest = i, offset = 0
        var d = batchRank - 1
        while d >= 0 {
            offset &+= (rest % batchShape[d]) &* batchStrides[d]
            rest /= batchShape[d]
            d -= 1
        }
        return tensor.start + offset
    }
}

extension DenseTensor where Scalar: TensorScalar {
    /// The rows of one block of a problem: 32 for a causal one of 64 rows or more (its products
    /// then skip a quarter of the keys, those after each block's last row), else all of them.
    @inlinable
    static func attentionRowBlock(L: Int, S: Int, causal: Bool) -> Int {
        causal && L >= 64 ? 32 : Swift.max(L, 1)
    }

    /// How many problems each thread takes: all on one thread for small work.
    @inlinable
    static func attentionParts(batch: Int, work: Int) -> Int {
        work < 1 << 16 ? 1 : Swift.min(Parallel.threads, batch)
    }

    /// Scaled dot-product attention of `query` `[batch..., L, E]`, `key` `[batch..., S, E]` and
    /// `value` `[batch..., S, Ev]` (the same leading dimensions), Note [Fused attention]: the
    /// output `[batch..., L, Ev]` and the probabilities `[batch..., L, S]`. `mask` (`true` = may
    /// attend) must broadcast to `[batch..., L, S]`; `causal` allows position `j ≤ i` of row `i`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func scaledDotProductAttention(
        query: DenseTensor, key: DenseTensor, value: DenseTensor, mask: DenseTensor<Bool>?, causal: Bool, scale: Scalar
    ) -> (output: DenseTensor, probabilities: DenseTensor) {
        let r = query.rank, leading = r - 2
        let (L, E, S, Ev) = (query.shape[r - 2], query.shape[r - 1], key.shape[r - 2], value.shape[r - 1])
        var batch = 1
        for d in 0..<leading { batch &*= query.shape[d] }
        // The query's shape with the last size replaced: the query's own array where it is the
        // same (the output's, `E == Ev`), so that only the outputs allocate.
        func shape(last: Int) -> [Int] {
            if query.shape[r - 1] == last { return query.shape }
            var s = query.shape
            s[r - 1] = last
            return s
        }
        let probabilities = DenseTensor(uninitializedShape: shape(last: S))
        let output = DenseTensor(uninitializedShape: shape(last: Ev))
        if batch == 0 || L == 0 { return (output, probabilities) }
        if S == 0 || E == 0 && Ev == 0 {
            output.withMutableElements { $0.initialize(repeating: 0) }
            return (output, probabilities)
        }
        let q = _AttentionOperand(query), k = _AttentionOperand(key), v = _AttentionOperand(value)
        // The mask expanded to the scores' shape: stride 0 along broadcast dimensions.
        let m = mask.map { $0.expanded(to: probabilities.shape) }
        let mStrides = m?.strides ?? []
        let parts = attentionParts(batch: batch, work: batch &* L &* S &* (E + Ev))
        let per = (batch + parts - 1) / parts
        let block = attentionRowBlock(L: L, S: S, causal: causal)
        Parallel.forEachPart(parts) { part in
            for i in (part * per)..<Swift.min(batch, (part + 1) * per) {
                let p = probabilities.start + i &* L &* S
                var maskBase: UnsafeMutablePointer<Bool>?
                if let m {
                    var rest = i, offset = 0
                    for d in stride(from: leading - 1, through: 0, by: -1) {
                        offset &+= (rest % query.shape[d]) &* mStrides[d]
                        rest /= query.shape[d]
                    }
                    maskBase = m.start + offset
                }
                // Row blocks: a causal block's rows see only the keys before its last row, so
                // its products stop there (Note [Fused attention]).
                for r0 in stride(from: 0, to: L, by: block) {
                    let r1 = Swift.min(L, r0 + block), rows = r1 - r0
                    let c = causal ? Swift.min(S, r1) : S
                    blasGemm(transA: false, transB: true, m: rows, n: c, k: E, alpha: scale, a: q.matrix(i) + r0 &* q.ld, lda: q.ld,
                             b: k.matrix(i), ldb: k.ld, beta: 0, c: p + r0 &* S, ldc: S)
                    // Each row shifted by its maximum (−inf past its causal end, zeros past the
                    // block's last key), then exp over the block's columns in spans of whole
                    // vectors (a call per row of its own length ran mostly the kernel's tail),
                    // then each row normalized; a row that may attend nowhere becomes zeros.
                    for row in r0..<r1 {
                        let x = p + row &* S
                        let valid = causal ? Swift.min(row + 1, S) : S
                        if let maskBase {
                            let mr = maskBase + row &* mStrides[leading], ms = mStrides[leading + 1]
                            for j in 0..<valid where !mr[j &* ms] { x[j] = -.infinity }
                        }
                        let top = rowMax(x, valid)
                        let shift = top == -.infinity ? 0 : top
                        for j in 0..<valid { x[j] -= shift }
                        if valid < c { (x + valid).initialize(repeating: -.infinity, count: c - valid) }
                        if c < S { (x + c).initialize(repeating: 0, count: S - c) }
                    }
                    // The block's first c columns: one span when they are whole rows.
                    let (spans, span) = c == S ? (1, rows &* S) : (rows, c)
                    for k in 0..<spans {
                        let start = p + (r0 &+ k) &* S
                        if Scalar.self == Float.self {
                            let f = asFloat(start)
                            ExpKernel.apply(f, f, span)
                        } else {
                            for j in 0..<span { start[j] = Scalar.exp(start[j]) }
                        }
                    }
                    for row in r0..<r1 {
                        let x = p + row &* S
                        let valid = causal ? Swift.min(row + 1, S) : S
                        let total = rowSum(x, valid)
                        let inverse = total > 0 ? 1 / total : 0
                        for j in 0..<valid { x[j] *= inverse }
                    }
                    blasGemm(transA: false, transB: false, m: rows, n: Ev, k: c, alpha: 1, a: p + r0 &* S, lda: S,
                             b: v.matrix(i), ldb: v.ld, beta: 0, c: output.start + (i &* L &+ r0) &* Ev, ldc: Ev)
                }
            }
        }
        withExtendedLifetime((q, k, v, m)) {}
        return (output, probabilities)
    }

    /// `x[0..<n] = softmax(x[0..<n])`, all zeros for a row of `-inf` only (PyTorch's safe softmax).
    @inlinable @inline(__always)
    static func softmaxRowInPlace(_ x: UnsafeMutablePointer<Scalar>, _ n: Int) {
        let top = rowMax(x, n)
        if top == -.infinity {
            x.initialize(repeating: 0, count: n)
            return
        }
        if Scalar.self == Float.self {
            let f = asFloat(x)
            ExpKernel.apply(f, f, n, shift: unsafeBitCast(top, to: Float.self))
        } else {
            for j in 0..<n { x[j] = Scalar.exp(x[j] - top) }
        }
        let inverse = 1 / rowSum(x, n)
        for j in 0..<n { x[j] *= inverse }
    }

    /// `max x[0..<n]` (−inf for none), in eight independent chains of scalar compares (the SIMD
    /// mask operations `.>`/`replace` compiled to a call and a loop through the stack).
    @inlinable @inline(__always)
    static func rowMax(_ x: UnsafePointer<Scalar>, _ n: Int) -> Scalar {
        var m = (Scalar.infinity, Scalar.infinity, Scalar.infinity, Scalar.infinity,
                 Scalar.infinity, Scalar.infinity, Scalar.infinity, Scalar.infinity)
        m = (-m.0, -m.1, -m.2, -m.3, -m.4, -m.5, -m.6, -m.7)
        var j = 0
        while j &+ 8 <= n {
            if x[j] > m.0 { m.0 = x[j] }
            if x[j &+ 1] > m.1 { m.1 = x[j &+ 1] }
            if x[j &+ 2] > m.2 { m.2 = x[j &+ 2] }
            if x[j &+ 3] > m.3 { m.3 = x[j &+ 3] }
            if x[j &+ 4] > m.4 { m.4 = x[j &+ 4] }
            if x[j &+ 5] > m.5 { m.5 = x[j &+ 5] }
            if x[j &+ 6] > m.6 { m.6 = x[j &+ 6] }
            if x[j &+ 7] > m.7 { m.7 = x[j &+ 7] }
            j &+= 8
        }
        var top = Swift.max(Swift.max(Swift.max(m.0, m.1), Swift.max(m.2, m.3)), Swift.max(Swift.max(m.4, m.5), Swift.max(m.6, m.7)))
        while j < n { if x[j] > top { top = x[j] }; j &+= 1 }
        return top
    }

    /// The gradients of ``scaledDotProductAttention(query:key:value:mask:causal:scale:)`` for
    /// query, key and value (each `nil` unless `needs` asks for it) from the output's gradient
    /// `self` and the forward's probabilities, Note [Fused attention]. Each is row-major.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func scaledDotProductAttentionGradients(
        query: DenseTensor, key: DenseTensor, value: DenseTensor, probabilities: DenseTensor, scale: Scalar, causal: Bool,
        needs: (query: Bool, key: Bool, value: Bool)
    ) -> (query: DenseTensor?, key: DenseTensor?, value: DenseTensor?) {
        let r = query.rank
        let (L, E, S, Ev) = (query.shape[r - 2], query.shape[r - 1], key.shape[r - 2], value.shape[r - 1])
        var batch = 1
        for d in 0..<(r - 2) { batch &*= query.shape[d] }
        // Every block writes its own rows of dQ; the blocks of a causal problem add to dK and dV,
        // whose rows past the last query's key they never reach: those start at zero.
        let empty = batch == 0 || L == 0 || S == 0
        func gradient(_ shape: [Int], _ needed: Bool, zeroed: Bool) -> DenseTensor? {
            needed ? (zeroed ? DenseTensor(shape: shape, repeating: 0) : DenseTensor(uninitializedShape: shape)) : nil
        }
        let dq = gradient(query.shape, needs.query, zeroed: empty)
        let dk = gradient(key.shape, needs.key, zeroed: empty || causal)
        let dv = gradient(value.shape, needs.value, zeroed: empty || causal)
        if empty { return (dq, dk, dv) }
        let g = _AttentionOperand(self), q = _AttentionOperand(query), k = _AttentionOperand(key), v = _AttentionOperand(value)
        let parts = Self.attentionParts(batch: batch, work: batch &* L &* S &* (E + Ev))
        let per = (batch + parts - 1) / parts
        // dP, one matrix per part, from the thread's buffer cache (no allocation once warm).
        let scratchBytes = needs.query || needs.key ? parts &* L &* S &* MemoryLayout<Scalar>.stride : 0
        let scratch = scratchBytes > 0 ? BufferCache.allocate(byteCount: scratchBytes).bindMemory(to: Scalar.self, capacity: parts &* L &* S) : nil
        defer { if let scratch { BufferCache.deallocate(scratch, byteCount: scratchBytes) } }
        let block = Self.attentionRowBlock(L: L, S: S, causal: causal)
        Parallel.forEachPart(parts) { part in
            for i in (part * per)..<Swift.min(batch, (part + 1) * per) {
                let p = probabilities.start + i &* L &* S
                let ds = scratch.map { $0 + part &* L &* S }
                for r0 in stride(from: 0, to: L, by: block) {
                    let r1 = Swift.min(L, r0 + block), rows = r1 - r0
                    let c = causal ? Swift.min(S, r1) : S
                    // Blocks after the first add to the key and value rows earlier ones wrote.
                    let beta: Scalar = r0 == 0 ? 0 : 1
                    let pb = p + r0 &* S, gb = g.matrix(i) + r0 &* g.ld
                    if let dv {
                        blasGemm(transA: true, transB: false, m: c, n: Ev, k: rows, alpha: 1, a: pb, lda: S,
                                 b: gb, ldb: g.ld, beta: beta, c: dv.start + i &* S &* Ev, ldc: Ev)
                    }
                    guard let ds else { continue }
                    let db = ds + r0 &* S
                    blasGemm(transA: false, transB: true, m: rows, n: c, k: Ev, alpha: 1, a: gb, lda: g.ld,
                             b: v.matrix(i), ldb: v.ld, beta: 0, c: db, ldc: S)
                    for row in 0..<rows {
                        let pr = pb + row &* S, dr = db + row &* S
                        let dot = Self.rowDot(pr, dr, c)
                        for j in 0..<c { dr[j] = pr[j] * (dr[j] - dot) }
                    }
                    if let dq {
                        blasGemm(transA: false, transB: false, m: rows, n: E, k: c, alpha: scale, a: db, lda: S,
                                 b: k.matrix(i), ldb: k.ld, beta: 0, c: dq.start + (i &* L &+ r0) &* E, ldc: E)
                    }
                    if let dk {
                        blasGemm(transA: true, transB: false, m: c, n: E, k: rows, alpha: scale, a: db, lda: S,
                                 b: q.matrix(i) + r0 &* q.ld, ldb: q.ld, beta: beta, c: dk.start + i &* S &* E, ldc: E)
                    }
                }
            }
        }
        withExtendedLifetime((g, q, k, v)) {}
        return (dq, dk, dv)
    }

    /// `Σ a[j] · b[j]` for `j < n`, in eight lanes.
    @inlinable @inline(__always)
    static func rowDot(_ a: UnsafePointer<Scalar>, _ b: UnsafePointer<Scalar>, _ n: Int) -> Scalar {
        var lanes = SIMD8<Scalar>(repeating: 0)
        var j = 0
        while j &+ 8 <= n {
            lanes += UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Scalar>.self)
                * UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Scalar>.self)
            j &+= 8
        }
        var total = lanes.sum()
        while j < n { total += a[j] * b[j]; j &+= 1 }
        return total
    }

    /// Softmax along the last dimension with PyTorch's `_safe_softmax` rule: a slice of `-inf`
    /// only gives zeros (not NaN), as attention needs for a row that may attend nowhere.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func safeSoftmaxLastDimension() -> DenseTensor {
        let source = contiguous()
        let out = DenseTensor(uninitializedShape: shape)
        let n = rank == 0 ? 1 : shape[rank - 1]
        guard count > 0, n > 0 else { return out }
        out.start.update(from: source.start, count: count)
        for row in 0..<(count / n) { Self.softmaxRowInPlace(out.start + row &* n, n) }
        withExtendedLifetime(source) {}
        return out
    }
}
