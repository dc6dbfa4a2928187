import ArgumentParser
import Autograd
import Foundation

/// What every workload may need to know about the run.
struct BenchSettings {
    var threads: Int
}

/// Every workload, in the order they run.
var allWorkloads: [any Workload.Type] {
    [Seed.self, Overhead.self, Elementwise.self, Reduce.self, MatMul.self, MLPSmall.self, MLPLarge.self, HigherOrder.self, Bandwidth.self, Conv.self,
     Strided.self, Cat.self, ViewChain.self, Attention.self, TransformerOps.self]
}

/// `tensorbench bench [WORKLOAD...]`: times the perf/ workloads and prints a table (and JSON).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the benchmark workloads (the same ones perf/bench_torch.py runs).",
        discussion: """
            Each case: warm-up (>= 3 calls and >= 50 ms), calls per block calibrated to ~0.2 s, \
            7 blocks; median and min time per call. A measurement during which other processes \
            used more than 15 % of the machine's CPU is retried (up to 3 tries, fastest kept).
            Workloads: \(allWorkloads.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")).
            """)

    @Argument(help: "Workloads to run (default: all). `--list` shows them.")
    var workloads: [String] = []

    @Option(help: "Threads the library may use (BLASLibrary.maxThreads, Parallel.threads; bandwidth splits its loops).")
    var threads = 1

    @Option(help: "Write the results as JSON to this file (the schema perf/ scripts write).")
    var json: String?

    @Option(help: "A label for the build, recorded in the JSON (e.g. portable, native).")
    var variant = "release"

    @Option(help: "Skip cases whose size is larger than this.")
    var maxSize: Int?

    @Option(help: "Only cases of this size (perf/compare --interleave runs one size at a time).")
    var size: Int?

    @Option(help: "Only cases whose name contains this text.")
    var `case`: String?

    @Flag(help: "Tiny blocks and no retries: a smoke test, not numbers to quote.")
    var quick = false

    @Flag(help: "List the workloads and their cases, then exit.")
    var list = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        let known = Set(allWorkloads.map { $0.name })
        if let unknown = workloads.first(where: { !known.contains($0) }) {
            throw ValidationError("unknown workload '\(unknown)'; known: \(allWorkloads.map { $0.name }.joined(separator: ", "))")
        }
    }

    func run() throws {
        // Read before OpenBLAS is loaded: loading it may set OPENBLAS_CORETYPE (BLASLibrary.load).
        let coreTypeEnvironment = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        let settings = BenchSettings(threads: threads)
        applyThreadSetting(threads)

        let selected = workloads.isEmpty ? allWorkloads : allWorkloads.filter { workloads.contains($0.name) }
        let cases = selected.flatMap { $0.cases(settings) }.filter { c in
            (maxSize.map { c.size <= $0 } ?? true) && (size.map { c.size == $0 } ?? true)
                && (self.case.map { c.name.contains($0) } ?? true)
        }
        if list {
            for w in selected {
                print("\(w.name): \(w.summary)")
                for c in cases where c.workload == w.name { print("    \(c.name)  size \(c.size)") }
            }
            return
        }

        let policy = quick ? TimingPolicy.quick : TimingPolicy()
        let progress = Progress(total: cases.count)
        var results: [BenchRecord] = []
        for (i, c) in cases.enumerated() {
            progress.starting(i, "\(c.workload) \(c.name) \(c.size)")
            let body = try c.prepare()
            let m = try measure(policy, body)
            results.append(BenchRecord(c, threads: threads, m))
            progress.finished(i + 1, "\(c.workload) \(c.name) \(c.size): \(formatTime(m.medianNs))")
        }
        progress.finish()

        print(Table.render(results))
        if let json {
            let report = BenchReport(
                library: "swift-autograd",
                machine: MachineInfo.collect(variant: variant, coreTypeEnvironment: coreTypeEnvironment, threads: threads),
                results: results)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
            FileHandle.standardError.write("wrote \(json)\n".data(using: .utf8)!)
        }
    }
}

/// The library's thread settings for `--threads`: BLAS (matmul) and the library's own kernels
/// (elementwise ops and sums split across cores above `Parallel.minimumElements`).
func applyThreadSetting(_ threads: Int) {
    BLASLibrary.maxThreads = threads
    Parallel.threads = threads
}

/// The JSON file: `{"library": ..., "machine": {...}, "results": [...]}`.
struct BenchReport: Encodable {
    var library: String
    var machine: MachineInfo
    var results: [BenchRecord]
}

/// One measurement: a workload's case at one size and thread count.
struct BenchRecord: Encodable {
    var workload: String
    var `case`: String
    var size: Int
    var threads: Int
    var medianNs: Double
    var minNs: Double
    /// Timed blocks (each of `inner` calls).
    var repeats: Int
    var inner: Int
    var bytes: Double?
    var flops: Double?
    var ops: Int?
    var bgPct: Double
    var tries: Int

    init(_ c: BenchCase, threads: Int, _ m: Measurement) {
        workload = c.workload
        self.case = c.name
        size = c.size
        self.threads = threads
        medianNs = (m.medianNs * 10).rounded() / 10
        minNs = (m.minNs * 10).rounded() / 10
        repeats = m.blocks
        inner = m.inner
        bytes = c.bytes
        flops = c.flops
        ops = c.ops
        bgPct = (m.backgroundPercent * 10).rounded() / 10
        tries = m.tries
    }

    enum CodingKeys: String, CodingKey {
        case workload, `case`, size, threads, repeats, inner, bytes, flops, ops, tries
        case medianNs = "median_ns", minNs = "min_ns", bgPct = "bg_pct"
    }
}

/// What the numbers were measured on.
struct MachineInfo: Encodable {
    var cpu: String
    var cores: Int
    var memoryGiB: Double
    var kernel: String
    var build: String
    var blas: String
    var openblasCoretypeEnv: String?
    var threads: Int
    var date: String

    enum CodingKeys: String, CodingKey {
        case cpu, cores, kernel, build, blas, threads, date
        case memoryGiB = "memory_gib", openblasCoretypeEnv = "openblas_coretype_env"
    }

    static func collect(variant: String, coreTypeEnvironment: String?, threads: Int) -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let chosen = BLASLibrary.chosenCoreType.map { " (chosen by the library: OPENBLAS_CORETYPE=\($0))" } ?? " (from the environment or OpenBLAS)"
        return MachineInfo(
            cpu: model, cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryGiB: (Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30) * 10).rounded() / 10,
            kernel: "Linux \(release)", build: variant,
            blas: "OpenBLAS \(BLASLibrary.coreName) kernels\(chosen)",
            openblasCoretypeEnv: coreTypeEnvironment, threads: threads,
            date: ISO8601DateFormatter().string(from: Date()))
    }
}

/// The progress line on stderr: rewritten in place on a terminal, one line per case otherwise.
struct Progress {
    let total: Int
    let isTerminal = isatty(2) != 0

    /// Shown while a case runs (on a terminal only).
    func starting(_ done: Int, _ text: String) {
        if isTerminal { write("\r\u{1B}[K[\(done)/\(total)] \(text)") }
    }

    /// Shown when a case is done: rewritten in place on a terminal, a line otherwise.
    func finished(_ done: Int, _ text: String) {
        write(isTerminal ? "\r\u{1B}[K[\(done)/\(total)] \(text)" : "[\(done)/\(total)] \(text)\n")
    }

    private func write(_ text: String) { FileHandle.standardError.write(text.data(using: .utf8)!) }

    func finish() {
        if isTerminal { write("\r\u{1B}[K") }
    }
}

/// The stdout table: times, time per element or op, and the rate.
enum Table {
    static func render(_ results: [BenchRecord]) -> String {
        let header = ["workload", "case", "size", "thr", "median", "min", "per unit", "rate", "bg%"]
        let rows = results.map { r -> [String] in
            var perUnit = "", rate = ""
            if let ops = r.ops {
                perUnit = formatTime(r.medianNs / Double(ops)) + "/op"
            } else if r.bytes != nil && r.flops == nil {
                perUnit = String(format: "%.3f ns/elem", r.medianNs / Double(r.size))
            }
            if let flops = r.flops {
                rate = String(format: "%.1f GFLOP/s", flops / r.medianNs)
            } else if let bytes = r.bytes {
                rate = String(format: "%.1f GB/s", bytes / r.medianNs)
            }
            return [r.workload, r.case, "\(r.size)", "\(r.threads)", formatTime(r.medianNs), formatTime(r.minNs),
                    perUnit, rate, String(format: "%.0f", r.bgPct)]
        }
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i < 2 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line))
            .joined(separator: "\n")
    }
}

/// `512 ns`, `12.3 µs`, `4.56 ms`, `1.23 s`.
func formatTime(_ ns: Double) -> String {
    if ns < 1e3 { return String(format: "%.1f ns", ns) }
    if ns < 1e6 { return String(format: "%.2f µs", ns / 1e3) }
    if ns < 1e9 { return String(format: "%.2f ms", ns / 1e6) }
    return String(format: "%.2f s", ns / 1e9)
}
