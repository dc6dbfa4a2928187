import Arena
import CTensorCoreShims

// 2-D max and average pooling over the last two dimensions (PyTorch's `max_pool2d` and
// `avg_pool2d` with `ceil_mode = false`, `count_include_pad = true`, no dilation), each plane
// `[H, W]` on its own.

/// The sizes of a 2-D pooling: `planes` planes of `[H, W]`, the window, stride and padding.
package struct PoolGeometry: Sendable, Equatable {
    package var planes: Int, height: Int, width: Int
    package var kernel: (h: Int, w: Int), stride: (h: Int, w: Int), padding: (h: Int, w: Int)

    package init(planes: Int, height: Int, width: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int)) {
        (self.planes, self.height, self.width) = (planes, height, width)
        (self.kernel, self.stride, self.padding) = (kernel, stride, padding)
    }

    package static func == (a: Self, b: Self) -> Bool { a.encoded == b.encoded }

    /// The fields in one array (a node keeps it in its segment's index table).
    package var encoded: [Int] {
        [Int](unsafeUninitializedCapacity: Self.encodedCount) { buffer, initialized in
            encode(into: buffer.baseAddress!)
            initialized = Self.encodedCount
        }
    }

    /// Writes the ``encoded`` fields from `p` (a list that holds more, such as max pooling's
    /// saved positions after them).
    package func encode(into p: UnsafeMutablePointer<Int>) {
        (p[0], p[1], p[2], p[3], p[4]) = (planes, height, width, kernel.h, kernel.w)
        (p[5], p[6], p[7], p[8]) = (stride.h, stride.w, padding.h, padding.w)
    }

    /// The number of fields in ``encoded``.
    package static let encodedCount = 9

    package init(encoded e: [Int]) {
        self.init(planes: e[0], height: e[1], width: e[2], kernel: (e[3], e[4]), stride: (e[5], e[6]), padding: (e[7], e[8]))
    }

    package var outHeight: Int { (height + 2 * padding.h - kernel.h) / stride.h + 1 }
    package var outWidth: Int { (width + 2 * padding.w - kernel.w) / stride.w + 1 }

    /// Calls `body` for each output element, in order: its plane, its position in the output
    /// (row-major over all planes) and its window clipped to the input, rows `hs..<he` and
    /// columns `ws..<we`.
    @inline(__always)
    func forEachWindow(_ body: (_ plane: Int, _ output: Int, _ hs: Int, _ he: Int, _ ws: Int, _ we: Int) -> Void) {
        var o = 0
        for p in 0..<planes {
            for oh in 0..<outHeight {
                let h0 = oh * stride.h - padding.h
                let (hs, he) = (Swift.max(h0, 0), Swift.min(h0 + kernel.h, height))
                for ow in 0..<outWidth {
                    let w0 = ow * stride.w - padding.w
                    body(p, o, hs, he, Swift.max(w0, 0), Swift.min(w0 + kernel.w, width))
                    o += 1
                }
            }
        }
    }
}

extension DenseTensor where Scalar: TensorScalar {
    /// This tensor's shape with the last two dimensions pooled.
    private func pooledShape(_ g: PoolGeometry) -> [Int] {
        var shape = self.shape
        (shape[shape.count - 2], shape[shape.count - 1]) = (g.outHeight, g.outWidth)
        return shape
    }

    /// This tensor's last two dimensions max-pooled, with the position (`h · W + w` in its plane)
    /// of each maximum after `indexPrefix` (the caller's own fields, saved in the same array), or
    /// after the geometry's ``PoolGeometry/encoded`` fields with `prefixingGeometry` (written in
    /// place, no list of them made): the
    /// first one on ties, the last NaN wherever one is in the window, as PyTorch's
    /// `val > maxval || isnan(val)`. 2×2 windows 2 apart split their planes across threads.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    package func maxPooled(_ g: PoolGeometry, indexPrefix: [Int] = [], prefixingGeometry: Bool = false) -> (DenseTensor, [Int]) {
        let (H, W) = (g.height, g.width)
        let out = DenseTensor(uninitializedShape: pooledShape(g))
        let skip = prefixingGeometry ? PoolGeometry.encodedCount : indexPrefix.count
        let x = contiguous()
        // Every position is written below (Int is trivial: nothing to initialize first).
        let indices = [Int](unsafeUninitializedCapacity: skip + out.count) { all, initialized in
            initialized = skip + out.count
            if prefixingGeometry { g.encode(into: all.baseAddress!) } else { _ = all.initialize(from: indexPrefix) }
            let idx = all.baseAddress! + skip
            if g.kernel == (2, 2) && g.stride == (2, 2) && g.padding == (0, 0) {
                let (planeIn, planeOut) = (H * W, g.outHeight * g.outWidth)
                let parts = count >= Parallel.minimumElements ? Swift.min(Parallel.threads, g.planes) : 1
                return Parallel.forEachPart(parts) { part in
                    let (lo, hi) = (part * g.planes / parts, (part + 1) * g.planes / parts)
                    Self.maxPool2x2(x.start + lo * planeIn, planes: hi - lo, g, into: out.start + lo * planeOut,
                                    indices: idx + lo * planeOut)
                }
            }
            g.forEachWindow { p, o, hs, he, ws, we in
                let plane = x.start + p * H * W
                var best = -Scalar.infinity
                var at = hs * W + ws
                for h in hs..<he {
                    for w in ws..<we {
                        let v = plane[h * W + w]
                        if v > best || v.isNaN { best = v; at = h * W + w }
                    }
                }
                out.start[o] = best
                idx[o] = at
            }
        }
        withExtendedLifetime(x) {}
        return (out, indices)
    }

    /// `maxPooled` of `planes` planes for 2×2 windows 2 apart without padding, the common case:
    /// AVX-512 in single precision (Note [Vector max pooling]), else the loops over each window
    /// unrolled (the general loop spent a third of a small conv net's step).
    @inline(__always)
    private static func maxPool2x2(_ x: UnsafePointer<Scalar>, planes: Int, _ g: PoolGeometry, into out: UnsafeMutablePointer<Scalar>,
                                   indices: UnsafeMutablePointer<Int>) {
        let (H, W, oH, oW) = (g.height, g.width, g.outHeight, g.outWidth)
        if Scalar.self == Float.self && avx512KernelsAvailable && H * W <= Int(Int32.max) {
            return _tensorcore_maxpool2x2_f32(asFloat(x), planes, H, W,
                                              asFloat(out), indices)
        }
        var o = 0
        for p in 0..<planes {
            let plane = x + p * H * W
            for oh in 0..<oH {
                let top = 2 * oh * W
                for ow in 0..<oW {
                    let at0 = top + 2 * ow
                    var best = plane[at0], at = at0
                    // PyTorch's `val > maxval || isnan(val)`, in row-major order.
                    @inline(__always) func take(_ i: Int) {
                        let v = plane[i]
                        if v > best || v.isNaN { (best, at) = (v, i) }
                    }
                    take(at0 + 1)
                    take(at0 + W)
                    take(at0 + W + 1)
                    out[o] = best
                    indices[o] = at
                    o += 1
                }
            }
        }
    }

    /// The gradient of a max pooling's input from this gradient of its output: each element
    /// added at its maximum's position, `indices[start...]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    package func maxPoolBackward(indices: [Int], from start: Int, inputShape: [Int], _ g: PoolGeometry) -> DenseTensor {
        let gy = contiguous()
        let (HW, oHW) = (g.height * g.width, g.outHeight * g.outWidth)
        if Scalar.self == Float.self && avx512KernelsAvailable && g.kernel == (2, 2) && g.stride == (2, 2)
            && g.padding == (0, 0) && _tensorcore_maxpool2x2_flat(g.height, g.width) {
            // Note [Flat max pooling]: small planes written whole, each window's gradient at its index.
            let out = DenseTensor(uninitializedShape: inputShape)
            indices.withUnsafeBufferPointer { idx in
                _tensorcore_maxpool2x2_backward_f32(
                    asFloat(gy.start), idx.baseAddress! + start, g.planes,
                    g.height, g.width, asFloat(out.start))
            }
            withExtendedLifetime(gy) {}
            return out
        }
        let out = DenseTensor(shape: inputShape, repeating: 0)
        indices.withUnsafeBufferPointer { idx in
            let parts = out.count >= Parallel.minimumElements ? Swift.min(Parallel.threads, g.planes) : 1
            Parallel.forEachPart(parts) { part in
                for p in (part * g.planes / parts)..<((part + 1) * g.planes / parts) {
                    let dst = out.start + p * HW
                    for o in (p * oHW)..<((p + 1) * oHW) { dst[idx[start + o]] += gy.start[o] }
                }
            }
        }
        withExtendedLifetime(gy) {}
        return out
    }

    /// This tensor's last two dimensions average-pooled: each window's sum over `kH · kW`
    /// (padding counts as zeros).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    package func avgPooled(_ g: PoolGeometry) -> DenseTensor {
        let (H, W) = (g.height, g.width)
        let out = DenseTensor(uninitializedShape: pooledShape(g))
        let x = contiguous()
        let divisor = Scalar(g.kernel.h * g.kernel.w)
        g.forEachWindow { p, o, hs, he, ws, we in
            let plane = x.start + p * H * W
            var sum: Scalar = 0
            for h in hs..<he { for w in ws..<we { sum += plane[h * W + w] } }
            out.start[o] = sum / divisor
        }
        withExtendedLifetime(x) {}
        return out
    }

    /// The gradient of an average pooling's input from this gradient of its output, of
    /// `inputShape`: each element over `kH · kW` added to its window.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    package func avgPoolBackward(inputShape: [Int], _ g: PoolGeometry) -> DenseTensor {
        let (H, W) = (g.height, g.width)
        let out = DenseTensor(shape: inputShape, repeating: 0)
        let gy = contiguous()
        let divisor = Scalar(g.kernel.h * g.kernel.w)
        g.forEachWindow { p, o, hs, he, ws, we in
            let plane = out.start + p * H * W
            let v = gy.start[o] / divisor
            for h in hs..<he { for w in ws..<we { plane[h * W + w] += v } }
        }
        withExtendedLifetime(gy) {}
        return out
    }
}
