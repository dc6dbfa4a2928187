/// The sizes of a convolution: input `[N, C, H, W]`, weight `[O, C / groups, kH, kW]`, output
/// `[N, O, oH, oW]`, and its stride, padding, dilation and groups. A 1-D convolution has
/// `spatialRank` 1, height 1, and its shapes drop the height.
package struct ConvolutionGeometry: Sendable, Equatable {
    package var spatialRank: Int
    package var batch: Int, inChannels: Int, height: Int, width: Int
    package var outChannels: Int, kernelHeight: Int, kernelWidth: Int
    package var stride: (h: Int, w: Int), padding: (h: Int, w: Int), dilation: (h: Int, w: Int)
    package var groups: Int

    package init(spatialRank: Int, batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
                 kernelHeight: Int, kernelWidth: Int, stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int),
                 groups: Int) {
        self.spatialRank = spatialRank
        (self.batch, self.inChannels, self.height, self.width) = (batch, inChannels, height, width)
        (self.outChannels, self.kernelHeight, self.kernelWidth) = (outChannels, kernelHeight, kernelWidth)
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
    }

    package static func == (a: Self, b: Self) -> Bool { a.encoded == b.encoded }

    /// The fields in one array (a node keeps it in its segment's index table).
    package var encoded: [Int] {
        [spatialRank, batch, inChannels, height, width, outChannels, kernelHeight, kernelWidth,
         stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w, groups]
    }

    package init(encoded e: [Int]) {
        self.init(spatialRank: e[0], batch: e[1], inChannels: e[2], height: e[3], width: e[4], outChannels: e[5],
                  kernelHeight: e[6], kernelWidth: e[7], stride: (e[8], e[9]), padding: (e[10], e[11]),
                  dilation: (e[12], e[13]), groups: e[14])
    }

    package var outHeight: Int { (height + 2 * padding.h - dilation.h * (kernelHeight - 1) - 1) / stride.h + 1 }
    package var outWidth: Int { (width + 2 * padding.w - dilation.w * (kernelWidth - 1) - 1) / stride.w + 1 }

    package var inputShape: [Int] { shape(batch, inChannels, height, width) }
    package var weightShape: [Int] { shape(outChannels, inChannels / groups, kernelHeight, kernelWidth) }
    package var outputShape: [Int] { shape(batch, outChannels, outHeight, outWidth) }

    private func shape(_ a: Int, _ b: Int, _ h: Int, _ w: Int) -> [Int] { spatialRank == 1 ? [a, b, w] : [a, b, h, w] }

    /// Whether the input is its own column buffer (a 1×1 kernel, stride 1, no padding).
    var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && stride == (1, 1) && padding == (0, 0)
    }
    /// Rows of one group's column buffer: `C/g · kH · kW`.
    var columnRows: Int { inChannels / groups * kernelHeight * kernelWidth }

    /// With stride 1, the input's gradient is the convolution of the output's gradient with the
    /// weight flipped in space and transposed in channels, `W'[c, o, kh, kw] = W[o, c, kH−1−kh,
    /// kW−1−kw]`, padded by `dilation · (k − 1) − padding`: that convolution's geometry (its
    /// output is this one's input), or `nil` when the stride is not 1 or the padding exceeds
    /// the kernel's dilated extent.
    var transposedGeometry: ConvolutionGeometry? {
        let pad = (h: dilation.h * (kernelHeight - 1) - padding.h, w: dilation.w * (kernelWidth - 1) - padding.w)
        guard stride == (1, 1), pad.h >= 0, pad.w >= 0 else { return nil }
        return ConvolutionGeometry(
            spatialRank: spatialRank, batch: batch, inChannels: outChannels, height: outHeight, width: outWidth,
            outChannels: inChannels, kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: (1, 1),
            padding: (pad.h, pad.w), dilation: (dilation.h, dilation.w), groups: groups)
    }
}
