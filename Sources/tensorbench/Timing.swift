#if canImport(Glibc)
import Glibc
#endif

/// How one case is timed. The same recipe as perf/bench_common.py (and notes/pytorch-baseline.md):
/// warm up (at least `warmupCalls` calls and `warmupSeconds`), calibrate the number of calls per
/// block so that a block takes about `blockSeconds`, time `blocks` blocks, and report the median
/// and the minimum time per call over the blocks.
///
/// Noise: while the blocks run, the share of all CPU time that went to *other* processes is read
/// from /proc/stat (minus this process's own CPU time). Above `maxBackgroundPercent` the whole
/// measurement is repeated, up to `maxTries` times, and the attempt with the lowest median is kept.
struct TimingPolicy {
    var warmupCalls = 3
    var warmupSeconds = 0.05
    var blockSeconds = 0.2
    var blocks = 7
    var maxBackgroundPercent = 15.0
    var maxTries = 3

    /// A short policy for smoke tests (`--quick`): numbers are not meant to be quoted.
    static let quick = TimingPolicy(warmupCalls: 1, warmupSeconds: 0.005, blockSeconds: 0.01, blocks: 3, maxTries: 1)
}

/// The result of timing one case.
struct Measurement {
    var medianNs: Double
    var minNs: Double
    /// Timed blocks, and calls per block.
    var blocks: Int
    var inner: Int
    /// Other processes' share of all CPU time while the kept attempt ran, in percent.
    var backgroundPercent: Double
    /// Attempts made (more than one when the machine was busy).
    var tries: Int
}

/// Seconds on the monotonic clock.
@inline(__always)
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Keeps a value alive as far as the optimizer can tell.
@inline(never)
func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

/// Times `body` with `policy`. Errors thrown by `body` end the measurement.
func measure(_ policy: TimingPolicy, _ body: () throws -> Void) throws -> Measurement {
    // Warm-up: caches, lazily loaded libraries (BLAS), the arena's first chunks.
    var calls = 0
    let warmStart = monotonicSeconds()
    while calls < policy.warmupCalls || monotonicSeconds() - warmStart < policy.warmupSeconds {
        try body()
        calls += 1
    }
    // Calibration on warm calls: at least 2 calls and 20 ms (or 1 call when a call is slower).
    var calibrationCalls = 0
    let calibrationStart = monotonicSeconds()
    var elapsed = 0.0
    repeat {
        try body()
        calibrationCalls += 1
        elapsed = monotonicSeconds() - calibrationStart
    } while elapsed < min(0.02, policy.blockSeconds) || calibrationCalls < 2 && elapsed < policy.blockSeconds
    let perCall = elapsed / Double(calibrationCalls)
    let inner = max(1, Int((policy.blockSeconds / perCall).rounded()))

    var best: Measurement?
    for attempt in 1...max(1, policy.maxTries) {
        let cpuBefore = CPUSample.now()
        var perCallNs: [Double] = []
        perCallNs.reserveCapacity(policy.blocks)
        for _ in 0..<policy.blocks {
            let start = monotonicSeconds()
            for _ in 0..<inner { try body() }
            perCallNs.append((monotonicSeconds() - start) * 1e9 / Double(inner))
        }
        let background = CPUSample.now().backgroundPercent(since: cpuBefore)
        perCallNs.sort()
        let m = Measurement(medianNs: perCallNs[perCallNs.count / 2], minNs: perCallNs[0], blocks: policy.blocks,
                            inner: inner, backgroundPercent: background, tries: attempt)
        if best == nil || m.medianNs < best!.medianNs { best = m }
        best!.tries = attempt
        if background <= policy.maxBackgroundPercent { break }
    }
    return best!
}

/// CPU time of the whole machine (/proc/stat) and of this process (getrusage, all threads).
struct CPUSample {
    /// Seconds of all CPUs: busy (everything but idle and iowait; steal counts as busy) and total.
    var machineBusy: Double
    var machineTotal: Double
    /// Seconds of CPU this process used (user + system, every thread).
    var own: Double

    static func now() -> CPUSample {
        var busy = 0.0, total = 0.0
        if let line = readFirstLine("/proc/stat"), line.hasPrefix("cpu ") {
            let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
            // user nice system idle iowait irq softirq steal (guest time is already in user).
            let counted = Array(fields.prefix(8))
            total = counted.reduce(0, +) / ticksPerSecond
            let idle = (counted.count > 4 ? counted[3] + counted[4] : 0) / ticksPerSecond
            busy = total - idle
        }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let own = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
        return CPUSample(machineBusy: busy, machineTotal: total, own: own)
    }

    /// Other processes' share of all CPU time since `earlier`, in percent (0 when unknown).
    func backgroundPercent(since earlier: CPUSample) -> Double {
        let total = machineTotal - earlier.machineTotal
        guard total > 0 else { return 0 }
        let others = (machineBusy - earlier.machineBusy) - (own - earlier.own)
        return max(0, min(100, others / total * 100))
    }
}

/// The first line of a small text file (e.g. under /proc, whose files report size 0).
func readFirstLine(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 4096)
    guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
    let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return line.trimmingSuffix("\n")
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
