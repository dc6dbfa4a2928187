import Arena
import CTensorCoreShims
#if canImport(Glibc)
import Glibc
#endif

// Convolutions by im2col and GEMM (Note [Convolution by im2col]) or, in single precision on
// AVX-512 or AVX2 with a width stride of 1, by the same GEMM over a column buffer never formed
// (Note [Implicit convolution] in conv_avx512.c, Note [AVX2 implicit convolution] in
// conv_avx2.c). A 1-D convolution is a 2-D one of height 1, so every kernel here is 2-D.
//
// Note [Convolution by im2col]: for each image and group, the input patches are unrolled into a
// column buffer `col` of `[C/g · kH · kW, oH · oW]` (from the thread's BufferCache: no allocation
// per call once the loop repeats), and the output is one GEMM, `W_g · col`, written straight into
// the output (onto the bias, GEMM's `beta = 1`). The derivatives are GEMMs on the same buffer:
// the weight's gradient `Σ_n G_n · colᵀ` (the column buffer made again, not saved), the input's
// `col2im(W_gᵀ · G_n)`. A 1×1 kernel with stride 1 and no padding reads the input itself as `col`.
// Measured on the benchmark's 16→32 layer (batch 32, 32×32, one Zen 5 core, machine shared):
// im2col and col2im were a third of the time (9 % each im2col, 8.5 % col2im, against 58 % in
// the GEMMs); the implicit kernels took fwd+bwd from 12.0 to 8.3 ms side by side under load
// (6.4 → 4.1 ms on a quiet machine).

/// Whether single-precision convolutions may run as the implicit GEMM (Note [Implicit
/// convolution]): yes, unless `TENSORCORE_CONV=im2col` in the environment asks for im2col and
/// GEMM everywhere (to compare the two, or to test the im2col path in an optimized build).
let implicitConvolutionEnabled: Bool = getenv("TENSORCORE_CONV").map { String(cString: $0) } != "im2col"

extension DenseTensor where Scalar: TensorScalar {
    /// The convolution of this input `[N, C, (H,) W]` with `weight` (plus `bias` `[O]`), PyTorch's
    /// `convolution`, by the implicit GEMM (Note [Implicit convolution], single precision with
    /// AVX-512 or AVX2 and a width stride of 1) or im2col and GEMM (Note [Convolution by im2col]), images
    /// split across threads (Note [Convolutions across threads]). Shapes are not checked.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    package func convolved(weight: DenseTensor, bias: DenseTensor?, geometry g: ConvolutionGeometry) -> DenseTensor {
        let out = DenseTensor(uninitializedShape: g.outputShape)
        let (oHW, O) = (g.outHeight * g.outWidth, g.outChannels)
        guard out.count > 0 else { return out }
        let x = contiguous(), w = weight.contiguous(), b = bias?.contiguous()
        let (Og, Kg, Cg, HW) = (O / g.groups, g.columnRows, g.inChannels / g.groups, g.height * g.width)
        let implicit = Self.implicitVariant(g)
        Self.forEachImageBlock(g, work: O * oHW * Kg) { images in
            if let b, implicit == nil {   // the implicit kernel adds the bias itself
                for n in images {
                    for o in 0..<O { (out.start + (n * O + o) * oHW).update(repeating: b.start[o], count: oHW) }
                }
            }
            if Kg == 0 {
                if b == nil { (out.start + images.lowerBound * O * oHW).update(repeating: 0, count: images.count * O * oHW) }
                return
            }
            if let implicit {
                let n = images.lowerBound
                for group in 0..<g.groups {
                    Self.implicitGemm(implicit, g, m: Og, a: w.start + group * Og * Kg, lda: Kg,
                                      x: x.start + (n * g.inChannels + group * Cg) * HW, images: images.count,
                                      xImage: g.inChannels * HW, bias: b.map { UnsafePointer($0.start) + group * Og },
                                      out: out.start + (n * O + group * Og) * oHW, outImage: O * oHW)
                }
                return
            }
            let beta: Scalar = b == nil ? 0 : 1
            Self.withColumnBuffer(g) { col in
                for n in images {
                    for group in 0..<g.groups {
                        let columns = Self.columns(x.start + (n * g.inChannels + group * Cg) * HW, g, col)
                        Self.convolutionGemm(transA: false, transB: false, m: Og, n: oHW, k: Kg,
                                 a: w.start + group * Og * Kg, lda: Kg, b: columns, ldb: oHW,
                                 beta: beta, c: out.start + (n * O + group * Og) * oHW, ldc: oHW)
                    }
                }
            }
        }
        withExtendedLifetime((x, w, b)) {}
        return out
    }

    /// The gradient of a convolution's input from this gradient of its output and the weight:
    /// `col2im(W_gᵀ · G)` per image and group (a transposed convolution), or, with stride 1 where
    /// the implicit GEMM runs, the convolution of `G` with the flipped weight (no col2im).
    /// `inputShape`, the input's shape array where the caller has it, is shared by the result
    /// (else one is made from `g`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    package func convolutionInputGradient(weight: DenseTensor, geometry g: ConvolutionGeometry,
                                          inputShape: [Int]? = nil) -> DenseTensor {
        let (oHW, O, HW) = (g.outHeight * g.outWidth, g.outChannels, g.height * g.width)
        let (Og, Kg, Cg) = (O / g.groups, g.columnRows, g.inChannels / g.groups)
        let flipped = g.transposedGeometry.flatMap { t in Self.implicitVariant(t).map { (geometry: t, variant: $0) } }
        let pointwise = g.isPointwise
        let shape = inputShape ?? g.inputShape
        let out = pointwise || flipped != nil ? DenseTensor(uninitializedShape: shape) : DenseTensor(shape: shape, repeating: 0)
        guard out.count > 0 else { return out }
        if Og == 0 || oHW == 0 {
            if pointwise || flipped != nil { out.start.update(repeating: 0, count: out.count) }
            return out
        }
        let gy = contiguous(), w = weight.contiguous()
        if let flipped {
            // W'[c, o, kh, kw] = W[o, c, kH−1−kh, kW−1−kw] per group: `[C/g, O/g · kH · kW]`.
            let taps = g.kernelHeight * g.kernelWidth
            let count = w.count, bytes = Swift.max(count, 1) * MemoryLayout<Scalar>.stride
            let wf = BufferCache.allocate(byteCount: bytes).bindMemory(to: Scalar.self, capacity: count)
            defer { BufferCache.deallocate(wf, byteCount: bytes) }
            for group in 0..<g.groups {
                let (src, dst) = (w.start + group * Og * Kg, wf + group * Cg * Og * taps)
                for o in 0..<Og {
                    for c in 0..<Cg {
                        for t in 0..<taps { dst[(c * Og + o) * taps + taps - 1 - t] = src[(o * Cg + c) * taps + t] }
                    }
                }
            }
            Self.forEachImageBlock(g, work: Cg * HW * Og * taps) { images in
                let n = images.lowerBound
                for group in 0..<g.groups {
                    Self.implicitGemm(flipped.variant, flipped.geometry, m: Cg, a: UnsafePointer(wf) + group * Cg * Og * taps, lda: Og * taps,
                                      x: gy.start + (n * O + group * Og) * oHW, images: images.count, xImage: O * oHW,
                                      bias: nil, out: out.start + (n * g.inChannels + group * Cg) * HW,
                                      outImage: g.inChannels * HW)
                }
            }
            withExtendedLifetime((gy, w)) {}
            return out
        }
        Self.forEachImageBlock(g, work: O * oHW * Kg) { images in
            Self.withColumnBuffer(g) { col in
                for n in images {
                    for group in 0..<g.groups {
                        let image = out.start + (n * g.inChannels + group * Cg) * HW
                        Self.convolutionGemm(transA: true, transB: false, m: Kg, n: oHW, k: Og,
                                 a: w.start + group * Og * Kg, lda: Kg, b: gy.start + (n * O + group * Og) * oHW, ldb: oHW,
                                 beta: 0, c: col ?? image, ldc: oHW)
                        if let col { Self.col2im(UnsafePointer(col), g, adding: image) }
                    }
                }
            }
        }
        withExtendedLifetime((gy, w)) {}
        return out
    }

    /// The gradient of a convolution's weight from this gradient of its output and the input:
    /// `Σ_n G_n · col_nᵀ` per group, summed in fixed chunks of images (Note [Convolutions across
    /// threads]). `weightShape`, the weight's shape array where the caller has it, is shared by
    /// the result (else one is made from `g`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    package func convolutionWeightGradient(input: DenseTensor, geometry g: ConvolutionGeometry,
                                           weightShape: [Int]? = nil) -> DenseTensor {
        let (oHW, O, HW) = (g.outHeight * g.outWidth, g.outChannels, g.height * g.width)
        let (Og, Kg, Cg) = (O / g.groups, g.columnRows, g.inChannels / g.groups)
        let out = DenseTensor(shape: weightShape ?? g.weightShape, repeating: 0)
        guard out.count > 0, g.batch > 0, oHW > 0 else { return out }
        let gy = contiguous(), x = input.contiguous()
        // The implicit kernel forms the transpose `col_n · G_nᵀ` (Note [Implicit weight gradient]).
        // Im2col does too, with more column rows than output channels, when G_n fills the own
        // kernel's 32-column tile: the GEMM then packs G_n, not the larger column buffer, for
        // every image (16→32 channels: 32 × 1024 instead of 144 × 1024).
        let implicit = Self.implicitVariant(g)
        let transposed = implicit != nil || Og >= 32 && Kg > Og
        let chunks = Self.weightGradientChunks(g)
        let partialCount = g.groups * Kg * Og
        let scratchCount = chunks * partialCount
        let scratchBytes = Swift.max(scratchCount, 1) * MemoryLayout<Scalar>.stride
        let scratch = BufferCache.allocate(byteCount: scratchBytes).bindMemory(to: Scalar.self, capacity: scratchCount)
        defer { BufferCache.deallocate(scratch, byteCount: scratchBytes) }
        let threads = g.batch * O * oHW * Kg >= BLASLibrary.singleThreadBelow ? Swift.min(BLASLibrary.maxThreads, chunks) : 1
        Parallel.forEachPart(threads) { part in
            if let implicit {
                let block = Self.weightGradientBlock(g)
                return Self.withWeightGradientScratch(implicit, g, images: block) { buffer in
                    for chunk in stride(from: part, to: chunks, by: threads) {
                        let partial = scratch + chunk * partialCount
                        let images = Self.chunkImages(chunk, of: chunks, batch: g.batch)
                        for n in stride(from: images.lowerBound, to: images.upperBound, by: block) {
                            for group in 0..<g.groups {
                                Self.implicitWeightGemm(implicit, g, x: x.start + (n * g.inChannels + group * Cg) * HW,
                                                        gradient: gy.start + (n * O + group * Og) * oHW,
                                                        images: Swift.min(block, images.upperBound - n), scratch: buffer,
                                                        beta: n == images.lowerBound ? 0 : 1, into: partial + group * Kg * Og)
                            }
                        }
                    }
                }
            }
            Self.withColumnBuffer(g) { col in
                for chunk in stride(from: part, to: chunks, by: threads) {
                    let partial = scratch + chunk * partialCount
                    let images = Self.chunkImages(chunk, of: chunks, batch: g.batch)
                    for n in images {
                        let beta: Scalar = n == images.lowerBound ? 0 : 1
                        for group in 0..<g.groups {
                            let columns = Self.columns(x.start + (n * g.inChannels + group * Cg) * HW, g, col)
                            let gradient = gy.start + (n * O + group * Og) * oHW
                            if transposed {
                                Self.convolutionGemm(transA: false, transB: true, m: Kg, n: Og, k: oHW,
                                                     a: columns, lda: oHW, b: gradient, ldb: oHW,
                                                     beta: beta, c: partial + group * Kg * Og, ldc: Og)
                            } else {
                                Self.convolutionGemm(transA: false, transB: true, m: Og, n: Kg, k: oHW,
                                                     a: gradient, lda: oHW, b: columns, ldb: oHW,
                                                     beta: beta, c: partial + group * Og * Kg, ldc: Kg)
                            }
                        }
                    }
                }
            }
        }
        // The chunks' sums added in order (onto the first), then transposed back where they
        // were formed so.
        for chunk in 1..<chunks {
            let partial = scratch + chunk * partialCount
            for i in 0..<partialCount { scratch[i] += partial[i] }
        }
        for group in 0..<g.groups {
            let (src, dst) = (scratch + group * Kg * Og, out.start + group * Og * Kg)
            if transposed {
                for r in 0..<Kg { for o in 0..<Og { dst[o * Kg + r] = src[r * Og + o] } }
            } else {
                dst.update(from: src, count: Og * Kg)
            }
        }
        withExtendedLifetime((gy, x)) {}
        return out
    }

    /// Note [Convolutions across threads]: the images of a batch are independent in the forward
    /// and in the input's gradient, so each thread takes a block of them (with its own column
    /// buffer), and every output element is computed as on one thread. The weight's gradient
    /// sums over the images: it is summed in a fixed number of chunks of images (up to
    /// ``weightGradientChunks``, whatever the thread count), each chunk's sum in its own scratch
    /// and the chunks added in order at the end, so its bits, too, do not depend on the thread
    /// count. Products inside a block run on that block's thread (the pool runs a nested split
    /// inline). Work below ``BLASLibrary/singleThreadBelow`` multiply-adds stays on one thread.
    @inline(__always)
    private static func forEachImageBlock(_ g: ConvolutionGeometry, work perImage: Int, _ body: (Range<Int>) -> Void) {
        let threads = g.batch &* perImage >= BLASLibrary.singleThreadBelow ? Swift.min(BLASLibrary.maxThreads, g.batch) : 1
        if threads <= 1 { return body(0..<g.batch) }
        Parallel.forEachPart(threads) { part in body(chunkImages(part, of: threads, batch: g.batch)) }
    }

    /// The images of chunk `chunk` of `chunks` equal (to one image) blocks of a batch.
    @inline(__always)
    private static func chunkImages(_ chunk: Int, of chunks: Int, batch: Int) -> Range<Int> {
        (chunk * batch / chunks)..<((chunk + 1) * batch / chunks)
    }

    /// The chunks of images a weight gradient is summed in: up to 4 (two threads' worth twice
    /// over), fewer for a small batch.
    @inline(__always)
    private static func weightGradientChunks(_ g: ConvolutionGeometry) -> Int {
        Swift.max(1, Swift.min(4, g.batch))
    }

    /// The build of the implicit GEMM the convolution runs as (Note [Implicit convolution]), if
    /// any: single precision, width stride 1, at most `TC_CONV_MAX_TAPS` taps, and a build this
    /// CPU runs enabled (``ConvolutionKernel/variant``).
    @inline(__always)
    private static func implicitVariant(_ g: ConvolutionGeometry) -> ConvolutionKernel.Variant? {
        guard Scalar.self == Float.self && g.stride.w == 1 && g.kernelHeight * g.kernelWidth <= Int(TC_CONV_MAX_TAPS)
            && g.columnRows > 0 else { return nil }
        return ConvolutionKernel.variant
    }

    /// Images per call of the implicit weight kernel: enough for about 1024 output positions
    /// (its packed `Gᵀ`, 128 KB, in L2), so that small maps are summed many images at a time.
    @inline(__always)
    private static func weightGradientBlock(_ g: ConvolutionGeometry) -> Int {
        Swift.max(1, Swift.min(g.batch, 1024 / Swift.max(1, g.outHeight * g.outWidth)))
    }

    /// Runs `body` with scratch for ``implicitWeightGemm`` on up to `images` images, from the
    /// thread's BufferCache.
    @inline(__always)
    private static func withWeightGradientScratch(_ variant: ConvolutionKernel.Variant, _ g: ConvolutionGeometry, images: Int,
                                                  _ body: (UnsafeMutablePointer<Scalar>) -> Void) {
        let scratch = variant == .avx512 ? _tensorcore_conv2d_weight_scratch : _tensorcore_conv2d_weight_scratch_avx2
        let count = scratch(images, g.inChannels / g.groups, g.height, g.width, g.padding.h,
                                                      g.padding.w, g.outHeight * g.outWidth, g.outChannels / g.groups)
        let bytes = Swift.max(count, 1) * MemoryLayout<Scalar>.stride
        let buffer = BufferCache.allocate(byteCount: bytes).bindMemory(to: Scalar.self, capacity: count)
        defer { BufferCache.deallocate(buffer, byteCount: bytes) }
        body(buffer)
    }

    /// One group's weight gradient over a block of images, transposed, `into[(c, kh, kw), o] =
    /// beta · into + Σ_{n, p} col_n[(c, kh, kw), p] · G_n[o, p]`, the column buffer read in place
    /// (single precision only; Note [Implicit weight gradient]).
    @inline(__always)
    private static func implicitWeightGemm(
        _ variant: ConvolutionKernel.Variant, _ g: ConvolutionGeometry, x: UnsafePointer<Scalar>, gradient: UnsafePointer<Scalar>, images: Int,
        scratch: UnsafeMutablePointer<Scalar>, beta: Scalar, into c: UnsafeMutablePointer<Scalar>
    ) {
        let Og = g.outChannels / g.groups
        let kernel = variant == .avx512 ? _tensorcore_conv2d_weight_implicit : _tensorcore_conv2d_weight_implicit_avx2
        kernel(
            Og, g.inChannels / g.groups, g.height, g.width, g.kernelHeight, g.kernelWidth, g.stride.h, g.padding.h,
            g.padding.w, g.dilation.h, g.dilation.w, g.outHeight, g.outWidth, asFloat(x), g.inChannels * g.height * g.width,
            asFloat(gradient), g.outChannels * g.outHeight * g.outWidth, images, asFloat(scratch),
            unsafeBitCast(beta, to: Float.self), asFloat(c), Og)
    }

    /// One group of a block of images, `xImage` and `outImage` apart: `out[m, oH·oW] = a[m,
    /// C/g·kH·kW] · col(x) (+ bias[m])` for each (single precision only). One call for the block
    /// lets the kernel fill its vectors across images (Note [Flat output vectors]).
    @inline(__always)
    private static func implicitGemm(_ variant: ConvolutionKernel.Variant, _ g: ConvolutionGeometry, m: Int,
                                     a: UnsafePointer<Scalar>, lda: Int, x: UnsafePointer<Scalar>, images: Int, xImage: Int,
                                     bias: UnsafePointer<Scalar>?, out: UnsafeMutablePointer<Scalar>, outImage: Int) {
        let kernel = variant == .avx512 ? _tensorcore_conv2d_implicit : _tensorcore_conv2d_implicit_avx2
        kernel(
            m, g.inChannels / g.groups, g.height, g.width, g.kernelHeight, g.kernelWidth, g.stride.h,
            g.padding.h, g.padding.w, g.dilation.h, g.dilation.w, g.outHeight, g.outWidth,
            asFloat(a), lda, asFloat(x), images, xImage, bias.map { asFloat($0) }, 0,
            asFloat(out), g.outHeight * g.outWidth, outImage)
    }

    /// The gradient of a convolution's bias: this gradient of its output `[N, O, ...]` summed
    /// over all but dimension 1. `shape`, the bias's shape array where the caller has it, is
    /// shared by the result (else `[O]` is made).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    package func convolutionBiasGradient(shape biasShape: [Int]? = nil) -> DenseTensor {
        let (N, O) = (shape[0], shape[1])
        let inner = shape.dropFirst(2).reduce(1, *)
        let gy = contiguous()
        let out = DenseTensor(shape: biasShape ?? [O], repeating: 0)
        for n in 0..<N {
            for o in 0..<O {
                let p = gy.start + (n * O + o) * inner
                var s = SIMD8<Scalar>()
                var i = 0
                while i + 8 <= inner {
                    s += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Scalar>.self)
                    i += 8
                }
                var t = s.sum()
                while i < inner { t += p[i]; i += 1 }
                out.start[o] += t
            }
        }
        return out
    }

    /// `C = op(A) · op(B) + beta · C` (row-major, as ``BLASScalar/gemm``) for one image and group.
    /// The products of a small convolution (16 × 1024 × 27 for 3→16 channels at 32×32) lie
    /// below ``SGemmKernel/minimumWork``, where a lone product goes to OpenBLAS; here one runs
    /// per image, and the own kernel, which packs nothing, takes every single-precision product
    /// with at least 32 columns that it can (the 3→16 layer's forward and backward: 1.15 → see
    /// the report's numbers).
    @inline(__always)
    private static func convolutionGemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Scalar>, lda: Int, b: UnsafePointer<Scalar>, ldb: Int,
        beta: Scalar, c: UnsafeMutablePointer<Scalar>, ldc: Int
    ) {
        if Scalar.self == Float.self, n >= 16, m &* n &* k <= SGemmKernel.maximumWork, SGemmKernel.isEnabled {
            return SGemmKernel.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                                    a: asFloat(a), lda: lda,
                                    b: asFloat(b), ldb: ldb,
                                    beta: unsafeBitCast(beta, to: Float.self),
                                    c: asFloat(c), ldc: ldc)
        }
        blasGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb,
                 beta: beta, c: c, ldc: ldc)
    }

    /// Runs `body` with one group's column buffer from the thread's BufferCache, or `nil` when
    /// the input is its own (a pointwise kernel).
    @inline(__always)
    private static func withColumnBuffer(_ g: ConvolutionGeometry, _ body: (UnsafeMutablePointer<Scalar>?) -> Void) {
        if g.isPointwise { return body(nil) }
        let count = g.columnRows * g.outHeight * g.outWidth
        let bytes = Swift.max(count, 1) * MemoryLayout<Scalar>.stride
        let col = BufferCache.allocate(byteCount: bytes).bindMemory(to: Scalar.self, capacity: count)
        defer { BufferCache.deallocate(col, byteCount: bytes) }
        body(col)
    }

    /// The column buffer of one group of one image: `col` filled by im2col, or the image itself
    /// when there is no `col` (a pointwise kernel).
    @inline(__always)
    private static func columns(_ image: UnsafePointer<Scalar>, _ g: ConvolutionGeometry, _ col: UnsafeMutablePointer<Scalar>?) -> UnsafePointer<Scalar> {
        guard let col else { return image }
        im2col(image, g, into: col)
        return UnsafePointer(col)
    }

    /// For kernel offset `k` (a row or column index scaled by dilation, less padding), the output
    /// positions `lo..<hi` whose input position `o · stride + k` lies in `0..<size`.
    @inline(__always)
    private static func validRange(offset k: Int, stride: Int, size: Int, outSize: Int) -> (lo: Int, hi: Int) {
        // o · stride + k ≥ 0  ⇔  o ≥ ⌈−k / stride⌉;  o · stride + k < size  ⇔  o ≤ ⌊(size − 1 − k) / stride⌋.
        let lo = k >= 0 ? 0 : (-k + stride - 1) / stride
        let top = size - 1 - k
        let hi = top < 0 ? 0 : Swift.min(outSize, top / stride + 1)
        return (Swift.min(lo, hi), hi)
    }

    /// Calls `body` for each row of one group's column buffer `[C/g · kH · kW, oH · oW]`, in
    /// order: the row's channel plane's offset in the image, its kernel offsets `(offH, offW)`
    /// (dilated, less padding), and the output rows `hLo..<hHi` and columns `wLo..<wHi` whose
    /// input position lies inside the image (the rest read padding).
    @inline(__always)
    private static func forEachColumnRow(
        _ g: ConvolutionGeometry,
        _ body: (_ plane: Int, _ offH: Int, _ offW: Int, _ hLo: Int, _ hHi: Int, _ wLo: Int, _ wHi: Int) -> Void
    ) {
        let (H, W, oH, oW) = (g.height, g.width, g.outHeight, g.outWidth)
        for c in 0..<(g.inChannels / g.groups) {
            for kh in 0..<g.kernelHeight {
                let offH = kh * g.dilation.h - g.padding.h
                let (hLo, hHi) = validRange(offset: offH, stride: g.stride.h, size: H, outSize: oH)
                for kw in 0..<g.kernelWidth {
                    let offW = kw * g.dilation.w - g.padding.w
                    let (wLo, wHi) = validRange(offset: offW, stride: g.stride.w, size: W, outSize: oW)
                    body(c * H * W, offH, offW, hLo, hHi, wLo, wHi)
                }
            }
        }
    }

    /// One group of one image `[C/g, H, W]` unrolled into `col` `[C/g · kH · kW, oH · oW]`.
    @inline(__always)
    private static func im2col(_ image: UnsafePointer<Scalar>, _ g: ConvolutionGeometry, into col: UnsafeMutablePointer<Scalar>) {
        let (W, oH, oW, sH, sW) = (g.width, g.outHeight, g.outWidth, g.stride.h, g.stride.w)
        var row = col
        forEachColumnRow(g) { plane, offH, offW, hLo, hHi, wLo, wHi in
            row.update(repeating: 0, count: hLo * oW)
            for oh in hLo..<hHi {
                let dst = row + oh * oW
                let src = image + plane + (oh * sH + offH) * W + offW
                dst.update(repeating: 0, count: wLo)
                if sW == 1 {
                    (dst + wLo).update(from: src + wLo, count: wHi - wLo)
                } else {
                    for ow in wLo..<wHi { dst[ow] = src[ow * sW] }
                }
                (dst + wHi).update(repeating: 0, count: oW - wHi)
            }
            (row + hHi * oW).update(repeating: 0, count: (oH - hHi) * oW)
            row += oH * oW
        }
    }

    /// `col` `[C/g · kH · kW, oH · oW]` added back onto one group of one image `[C/g, H, W]`.
    @inline(__always)
    private static func col2im(_ col: UnsafePointer<Scalar>, _ g: ConvolutionGeometry, adding image: UnsafeMutablePointer<Scalar>) {
        let (W, oH, oW, sH, sW) = (g.width, g.outHeight, g.outWidth, g.stride.h, g.stride.w)
        var row = col
        forEachColumnRow(g) { plane, offH, offW, hLo, hHi, wLo, wHi in
            for oh in hLo..<hHi {
                let src = row + oh * oW
                let dst = image + plane + (oh * sH + offH) * W + offW
                if sW == 1 {
                    // Explicit SIMD: the compiler can't rule out that `src` and `dst` overlap.
                    var ow = wLo
                    while ow &+ 16 <= wHi {
                        let sum = UnsafeRawPointer(dst + ow).loadUnaligned(as: SIMD16<Scalar>.self)
                            + UnsafeRawPointer(src + ow).loadUnaligned(as: SIMD16<Scalar>.self)
                        UnsafeMutableRawPointer(dst + ow).storeBytes(of: sum, as: SIMD16<Scalar>.self)
                        ow &+= 16
                    }
                    while ow < wHi { dst[ow] += src[ow]; ow &+= 1 }
                } else {
                    for ow in wLo..<wHi { dst[ow * sW] += src[ow] }
                }
            }
            row += oH * oW
        }
    }
}
