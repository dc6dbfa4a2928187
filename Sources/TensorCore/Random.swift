import RealModule

/// A seedable pseudo-random generator: xoshiro256** seeded through SplitMix64.
///
/// Fast, small and of good statistical quality; the same seed gives the same stream on every
/// platform. It does not reproduce PyTorch's Mersenne-Twister streams: `randn` values differ
/// from `torch.randn` for the same seed, though their distribution is the same.
///
/// ```swift
/// var rng = RandomGenerator(seed: 42)
/// let w = DenseTensor<Float>.randn([3, 3], using: &rng)
/// ```
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose stream is fixed by `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// The next 64 random bits: one xoshiro256** step (`RandomNumberGenerator`'s requirement, which
    /// `Int.random(in:using:)`, `shuffle(using:)` and the tensor samplers build on).
    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Two independent standard normal doubles (Box–Muller).
    public mutating func normalPair() -> (Double, Double) {
        let u1 = 1 - nextUnit()   // (0, 1]: log(u1) is finite
        let u2 = nextUnit()
        let r = (-2 * Double.log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        return (r * Double.cos(theta), r * Double.sin(theta))
    }
}

extension DenseTensor where Scalar: TensorScalar {
    /// Standard normal samples.
    public static func randn(_ shape: [Int], using generator: inout RandomGenerator) -> DenseTensor {
        let out = DenseTensor(uninitializedShape: shape)
        out.withMutableElements { p in
            var i = 0
            while i < p.count {
                let (a, b) = generator.normalPair()
                p[i] = Scalar(a)
                if i + 1 < p.count { p[i + 1] = Scalar(b) }
                i += 2
            }
        }
        return out
    }

    /// Uniform samples in [low, high).
    public static func rand(_ shape: [Int], low: Scalar = 0, high: Scalar = 1, using generator: inout RandomGenerator) -> DenseTensor {
        let out = DenseTensor(uninitializedShape: shape)
        out.withMutableElements { p in
            for i in 0..<p.count {
                // Rounding to Float can give `high` itself; keep the interval half-open.
                var v = low + (high - low) * Scalar(generator.nextUnit())
                if v >= high { v = low }
                p[i] = v
            }
        }
        return out
    }
}
