import Dispatch

/// The machine's practical memory bandwidth, outside the library: STREAM copy (`a[i] = b[i]`)
/// and triad (`a[i] = b[i] + s·c[i]`) on 1.6e7 floats (64 MB per array, twice the L3), as plain
/// SIMD16 loops split across `--threads` threads. Bytes as STREAM counts them (no
/// write-allocate): 8 and 12 per element.
enum Bandwidth: Workload {
    static let name = "bandwidth"
    static let summary = "STREAM copy and triad on 1.6e7 floats: the machine's memory bandwidth"
    static let size = 16_000_000

    static func cases(_ settings: BenchSettings) -> [BenchCase] {
        let threads = settings.threads
        return [
            BenchCase(workload: name, name: "copy", size: size, bytes: 8 * Double(size)) {
                let a = AlignedFloats(count: size, value: 0), b = AlignedFloats(count: size, value: 1)
                return { parallelRanges(size, threads: threads) { copyLoop(a, b, $0) } }
            },
            BenchCase(workload: name, name: "triad", size: size, bytes: 12 * Double(size)) {
                let a = AlignedFloats(count: size, value: 0), b = AlignedFloats(count: size, value: 1)
                let c = AlignedFloats(count: size, value: 2)
                return { parallelRanges(size, threads: threads) { triadLoop(a, b, c, 3, $0) } }
            },
        ]
    }
}

/// A 64-byte aligned float buffer, touched at creation (so no page faults while timing).
final class AlignedFloats: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int, value: Float) {
        self.count = count
        base = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        base.initialize(repeating: value, count: count)
    }

    deinit { base.deallocate() }
}

/// Runs `body` on `threads` contiguous ranges of `0..<count` (multiples of 16 but the last).
func parallelRanges(_ count: Int, threads: Int, _ body: @Sendable (Range<Int>) -> Void) {
    guard threads > 1 else { return body(0..<count) }
    let chunk = (count / threads + 15) / 16 * 16
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        let lo = Swift.min(count, t * chunk), hi = t == threads - 1 ? count : Swift.min(count, lo + chunk)
        body(lo..<hi)
    }
}

@inline(__always)
func copyLoop(_ a: AlignedFloats, _ b: AlignedFloats, _ range: Range<Int>) {
    let dst = UnsafeMutableRawPointer(a.base + range.lowerBound), src = UnsafeRawPointer(b.base + range.lowerBound)
    let blocks = range.count / 16
    for j in 0..<blocks {
        dst.storeBytes(of: src.loadUnaligned(fromByteOffset: j &* 64, as: SIMD16<Float>.self),
                       toByteOffset: j &* 64, as: SIMD16<Float>.self)
    }
    for i in (range.lowerBound + blocks * 16)..<range.upperBound { a.base[i] = b.base[i] }
}

@inline(__always)
func triadLoop(_ a: AlignedFloats, _ b: AlignedFloats, _ c: AlignedFloats, _ s: Float, _ range: Range<Int>) {
    let lo = range.lowerBound
    let dst = UnsafeMutableRawPointer(a.base + lo)
    let pb = UnsafeRawPointer(b.base + lo), pc = UnsafeRawPointer(c.base + lo)
    let vs = SIMD16<Float>(repeating: s)
    let blocks = range.count / 16
    for j in 0..<blocks {
        let v = pb.loadUnaligned(fromByteOffset: j &* 64, as: SIMD16<Float>.self)
            + vs * pc.loadUnaligned(fromByteOffset: j &* 64, as: SIMD16<Float>.self)
        dst.storeBytes(of: v, toByteOffset: j &* 64, as: SIMD16<Float>.self)
    }
    for i in (lo + blocks * 16)..<range.upperBound { a.base[i] = b.base[i] + s * c.base[i] }
}
