import CTensorCoreShims
import XCTest
import _TestSupport
@testable import TensorCore

/// The convolution kernels (Note [Implicit convolution], Note [Convolution by im2col]) against a
/// double-precision loop over the definition, `y[n, o, i, j] = Σ_{c, kh, kw} w[o, c, kh, kw] ·
/// x[n, g·C/g + c, i·sH + kh·dH − pH, j·sW + kw·dW − pW]`, for the forward and both gradients:
/// every geometry below on each path this CPU runs (the own AVX-512 kernels, the AVX2 build of
/// the implicit GEMM, im2col and OpenBLAS; the implicit GEMM wherever the width stride is 1, also
/// in a debug build); the AVX2 implicit GEMM giving the AVX-512 one's bits (Note [AVX2 implicit
/// convolution]); and the bits of each result the same on 1, 2 and 3 threads (Note [Convolutions
/// across threads]).
final class ConvolutionKernelTests: XCTestCase {
    private var saved = (enabled: false, avx2: false, blasThreads: 0, blasBelow: 0)

    override func setUp() {
        saved = (SGemmKernel.isEnabled, ConvolutionKernel.avx2IsEnabled, BLASLibrary.maxThreads,
                 BLASLibrary.singleThreadBelow)
    }

    override func tearDown() {
        SGemmKernel.isEnabled = saved.enabled
        ConvolutionKernel.avx2IsEnabled = saved.avx2
        BLASLibrary.maxThreads = saved.blasThreads
        BLASLibrary.singleThreadBelow = saved.blasBelow
    }

    /// The kernels a convolution can run on: the own AVX-512 ones (the implicit GEMM and the own
    /// sgemm), the AVX2 implicit GEMM (OpenBLAS for the rest, as on an AVX2-only CPU), or im2col
    /// and OpenBLAS for everything.
    private enum Path: String, CaseIterable {
        case avx512, avx2, im2col

        /// The paths this CPU runs (on an AVX-512 machine under `TENSORCORE_ISA=avx2`: no `avx512`).
        static var supported: [Path] {
            allCases.filter { $0 != .avx512 || SGemmKernel.isAvailable }
                .filter { $0 != .avx2 || _tensorcore_avx2_available() }
        }

        func use() {
            SGemmKernel.isEnabled = self == .avx512
            ConvolutionKernel.avx2IsEnabled = self == .avx2
        }
    }

    /// (batch, C, H, W, O, kH, kW, stride, padding, dilation, groups); H = 1 with kH = 1 is a conv1d.
    private static let geometries: [ConvolutionGeometry] = [
        make(2, 3, 8, 8, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1),
        make(2, 16, 9, 13, 80, 3, 3, (2, 1), (1, 2), (2, 1), 2),    // weight gradient: 40 channels a group (two panels)
        make(3, 16, 32, 32, 32, 3, 3, (1, 1), (1, 1), (1, 1), 1),     // the benchmark's 16→32, smaller batch
        make(2, 4, 16, 16, 13, 3, 3, (1, 1), (1, 1), (1, 1), 1),      // 13 rows: tiles of 5 + 4 + 4... as even as can be
        make(2, 5, 7, 17, 3, 3, 3, (1, 1), (0, 0), (1, 1), 1),        // width 17 → 15: one vector of 15
        make(2, 3, 9, 33, 6, 2, 3, (1, 1), (1, 2), (1, 1), 1),        // 33 wide: segments of 16, 16, 3 (pairs across rows)
        make(1, 4, 10, 10, 6, 3, 3, (1, 1), (2, 2), (2, 2), 2),       // dilation and groups
        make(2, 2, 6, 6, 3, 3, 3, (1, 1), (3, 3), (1, 1), 1),         // padding beyond the kernel: input gradient by col2im
        make(2, 3, 12, 12, 5, 5, 5, (1, 1), (2, 2), (1, 1), 1),
        make(2, 3, 11, 11, 4, 3, 3, (2, 1), (1, 1), (1, 1), 1),       // height stride 2: implicit forward, col2im gradient
        make(2, 3, 11, 11, 4, 3, 3, (1, 2), (1, 1), (1, 1), 1),       // width stride 2: im2col
        make(2, 8, 5, 5, 16, 1, 1, (1, 1), (0, 0), (1, 1), 1),        // pointwise
        make(3, 4, 1, 50, 6, 1, 3, (1, 1), (0, 1), (1, 2), 2, rank: 1), // conv1d
        // Note [Flat output vectors]: vectors spanning output rows, pairs of them across images
        make(5, 3, 4, 4, 7, 3, 3, (1, 1), (1, 1), (1, 1), 1),         // 4×4: one vector an image, odd batch
        make(3, 1, 6, 6, 16, 3, 3, (1, 1), (1, 1), (1, 1), 1),        // one input channel, rows break mid-vector
        make(2, 2, 7, 5, 3, 3, 1, (1, 1), (1, 0), (1, 1), 1),         // a column kernel: the width unpadded
        make(3, 3, 9, 7, 4, 3, 3, (1, 1), (2, 2), (2, 2), 1),         // dilation 2, padded by 2
        make(2, 4, 6, 10, 4, 1, 5, (1, 1), (0, 2), (1, 1), 2),        // a row kernel, groups
        make(3, 2, 1, 20, 5, 1, 3, (1, 1), (0, 1), (1, 1), 1, rank: 1), // conv1d, "same" padding
        make(10, 2, 20, 20, 5, 3, 3, (1, 1), (1, 1), (1, 1), 1),      // weight gradient: blocks of 2 images, a chunk of 3
        // The AVX2 build's 6-row tiles (12 rows: 6 + 6; 6) and 8-lane vectors (45 outputs: 5 and 5/8)
        make(2, 6, 5, 9, 12, 3, 3, (1, 1), (1, 1), (1, 1), 1),
        make(2, 2, 48, 48, 3, 3, 3, (1, 1), (1, 1), (1, 1), 1),       // segments × taps beyond either table
    ]

    private static func make(_ n: Int, _ c: Int, _ h: Int, _ w: Int, _ o: Int, _ kh: Int, _ kw: Int,
                             _ s: (Int, Int), _ p: (Int, Int), _ d: (Int, Int), _ groups: Int, rank: Int = 2) -> ConvolutionGeometry {
        ConvolutionGeometry(spatialRank: rank, batch: n, inChannels: c, height: h, width: w, outChannels: o,
                            kernelHeight: kh, kernelWidth: kw, stride: s, padding: p, dilation: d, groups: groups)
    }

    /// The forward, input gradient and weight gradient by the definition, in Double.
    private func reference(_ g: ConvolutionGeometry, x: [Float], w: [Float], b: [Float], gy: [Float])
        -> (y: [Double], dx: [Double], dw: [Double]) {
        let (N, C, H, W, O) = (g.batch, g.inChannels, g.height, g.width, g.outChannels)
        let (kH, kW, oH, oW) = (g.kernelHeight, g.kernelWidth, g.outHeight, g.outWidth)
        let (Cg, Og) = (C / g.groups, O / g.groups)
        var y = [Double](repeating: 0, count: N * O * oH * oW)
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
        for n in 0..<N {
            for o in 0..<O {
                for i in 0..<oH {
                    for j in 0..<oW {
                        let out = ((n * O + o) * oH + i) * oW + j
                        var sum = Double(b[o])
                        for c in 0..<Cg {
                            let ci = o / Og * Cg + c
                            for kh in 0..<kH {
                                let ih = i * g.stride.h + kh * g.dilation.h - g.padding.h
                                guard ih >= 0 && ih < H else { continue }
                                for kw in 0..<kW {
                                    let iw = j * g.stride.w + kw * g.dilation.w - g.padding.w
                                    guard iw >= 0 && iw < W else { continue }
                                    let xi = ((n * C + ci) * H + ih) * W + iw, wi = ((o * Cg + c) * kH + kh) * kW + kw
                                    sum += Double(w[wi]) * Double(x[xi])
                                    dx[xi] += Double(w[wi]) * Double(gy[out])
                                    dw[wi] += Double(x[xi]) * Double(gy[out])
                                }
                            }
                        }
                        y[out] = sum
                    }
                }
            }
        }
        return (y, dx, dw)
    }

    private func assertClose(_ actual: [Float], _ expected: [Double], _ label: String) {
        XCTAssertEqual(actual.count, expected.count, label)
        let scale = expected.map(abs).max() ?? 1
        for (i, (a, e)) in zip(actual, expected).enumerated() where !(abs(Double(a) - e) <= 1e-5 * (1 + scale)) {
            XCTFail("\(label): element \(i) is \(a), expected \(e)")
            return
        }
    }

    func testKernelsMatchTheDefinition() throws {
        var generator = RandomGenerator(seed: 181)
        for g in Self.geometries {
            let x = DenseTensor<Float>.randn(g.inputShape, using: &generator)
            let w = DenseTensor<Float>.randn(g.weightShape, using: &generator)
            let b = DenseTensor<Float>.randn([g.outChannels], using: &generator)
            let gy = DenseTensor<Float>.randn(g.outputShape, using: &generator)
            let expected = reference(g, x: x.scalars, w: w.scalars, b: b.scalars, gy: gy.scalars)
            for path in Path.supported {
                path.use()
                let label = "\(g.encoded), \(path)"
                assertClose(x.convolved(weight: w, bias: b, geometry: g).scalars, expected.y, "\(label): forward")
                assertClose(gy.convolutionInputGradient(weight: w, geometry: g).scalars, expected.dx, "\(label): input gradient")
                assertClose(gy.convolutionWeightGradient(input: x, geometry: g).scalars, expected.dw, "\(label): weight gradient")
            }
        }
    }

    /// The AVX2 implicit GEMMs give the AVX-512 ones' bits wherever both run (the width stride 1;
    /// the input gradient where it is a stride-1 convolution of the output's gradient): forward
    /// with the bias and without, both gradients (Note [AVX2 implicit convolution], Note [AVX2
    /// implicit weight gradient]; skipped where the AVX-512 kernels do not run, `TENSORCORE_ISA=avx2`
    /// too).
    func testAVX2ImplicitGemmGivesTheAVX512Bits() throws {
        try XCTSkipUnless(SGemmKernel.isAvailable && _tensorcore_avx2_available(), "needs AVX-512 and AVX2")
        var generator = RandomGenerator(seed: 184)
        var compared = 0
        for g in Self.geometries where g.stride.w == 1 {
            let x = DenseTensor<Float>.randn(g.inputShape, using: &generator)
            let w = DenseTensor<Float>.randn(g.weightShape, using: &generator)
            let b = DenseTensor<Float>.randn([g.outChannels], using: &generator)
            let gy = DenseTensor<Float>.randn(g.outputShape, using: &generator)
            let gradientIsImplicit = g.transposedGeometry?.stride.w == 1
            let results = [Path.avx512, .avx2].map { path -> [[Float]] in
                path.use()
                XCTAssertEqual(ConvolutionKernel.variant, path == .avx512 ? .avx512 : .avx2)
                return [x.convolved(weight: w, bias: b, geometry: g).scalars,
                        x.convolved(weight: w, bias: nil, geometry: g).scalars,
                        gradientIsImplicit ? gy.convolutionInputGradient(weight: w, geometry: g).scalars : [],
                        gy.convolutionWeightGradient(input: x, geometry: g).scalars]
            }
            for (k, name) in ["forward with bias", "forward", "input gradient", "weight gradient"].enumerated() {
                XCTAssertSameBits(results[1][k], results[0][k], "\(g.encoded): \(name)")
                compared += results[0][k].isEmpty ? 0 : 1
            }
        }
        XCTAssertGreaterThan(compared, 60)
    }

    func testResultsDoNotDependOnTheThreadCount() {
        var generator = RandomGenerator(seed: 182)
        BLASLibrary.singleThreadBelow = 0
        for path in Path.supported {
            path.use()
            for g in Self.geometries {
                let x = DenseTensor<Float>.randn(g.inputShape, using: &generator)
                let w = DenseTensor<Float>.randn(g.weightShape, using: &generator)
                let gy = DenseTensor<Float>.randn(g.outputShape, using: &generator)
                let results = [1, 2, 3].map { threads -> [[Float]] in
                    BLASLibrary.maxThreads = threads
                    return [x.convolved(weight: w, bias: nil, geometry: g).scalars,
                            gy.convolutionInputGradient(weight: w, geometry: g).scalars,
                            gy.convolutionWeightGradient(input: x, geometry: g).scalars]
                }
                for (threads, result) in zip([2, 3], results.dropFirst()) {
                    for (k, name) in ["forward", "input gradient", "weight gradient"].enumerated() {
                        XCTAssertSameBits(result[k], results[0][k], "\(g.encoded), \(path), \(threads) threads: \(name)")
                    }
                }
            }
        }
    }

    /// 2×2 max pooling (Note [Vector max pooling] and, for planes up to 16 wide, Note [Flat max
    /// pooling] in single precision where the CPU has AVX-512, the scalar loop in double
    /// precision) gives the same maxima and positions, ties (values drawn from a few integers)
    /// going to the first maximum and NaN winning, on every width's tail, odd sizes included, and
    /// on 1 and 2 threads; and the same input gradient.
    func testMaxPoolingTwoByTwoMatchesTheScalarLoop() {
        var generator = RandomGenerator(seed: 183)
        let saved = (Parallel.threads, Parallel.minimumElements)
        defer { (Parallel.threads, Parallel.minimumElements) = saved }
        Parallel.minimumElements = 64
        // flat: a plane's outputs a multiple of 16 (8×8, 16×16, 12×16 (blocks wrapping at row 6 of
        // 6), 32×2) or dividing 16 (2×2 and 4×4 with a tail, 2×4); 6×8 (12 outputs) row by row
        for (planes, h, w) in [(1, 2, 2), (3, 5, 7), (2, 8, 34), (4, 33, 66), (2, 4, 63), (5, 8, 8), (3, 16, 16),
                               (2, 12, 16), (3, 32, 2), (7, 4, 4), (5, 2, 4), (2, 6, 8)] {
            let values = DenseTensor<Float>.randn([planes * h * w], using: &generator).scalars.enumerated().map { i, v in
                i % 37 == 5 ? Float.nan : (v * 2).rounded()
            }
            let x = try! DenseTensor<Float>(scalars: values, shape: [planes, h, w])
            let xd = try! DenseTensor<Double>(scalars: values.map(Double.init), shape: [planes, h, w])
            let g = PoolGeometry(planes: planes, height: h, width: w, kernel: (2, 2), stride: (2, 2), padding: (0, 0))
            let (expected, expectedAt) = xd.maxPooled(g, indexPrefix: [7])
            for threads in [1, 2] {
                Parallel.threads = threads
                let (y, at) = x.maxPooled(g, indexPrefix: [7])
                XCTAssertEqual(at, expectedAt, "\(planes)×\(h)×\(w), \(threads) threads: positions")
                XCTAssertEqual(y.scalars.map { $0.isNaN ? "nan" : "\($0)" }, expected.scalars.map { $0.isNaN ? "nan" : "\(Float($0))" },
                               "\(planes)×\(h)×\(w), \(threads) threads: maxima")
                let gy = try! DenseTensor<Float>(scalars: (0..<y.count).map { Float($0 % 7) - 2.5 }, shape: y.shape)
                let gyd = try! DenseTensor<Double>(scalars: gy.scalars.map(Double.init), shape: y.shape)
                XCTAssertEqual(gy.maxPoolBackward(indices: at, from: 1, inputShape: [planes, h, w], g).scalars,
                               gyd.maxPoolBackward(indices: expectedAt, from: 1, inputShape: [planes, h, w], g).scalars.map(Float.init),
                               "\(planes)×\(h)×\(w), \(threads) threads: input gradient")
            }
        }
    }
}
