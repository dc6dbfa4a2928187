import ArgumentParser
import Arena
import Autograd

/// `tensorbench allocations`: allocator calls and bytes per step of the seed and training
/// workloads, read from jemalloc (the steady state after warm-up).
struct AllocationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocations",
        abstract: "Allocator calls and bytes per seed step and per training step (jemalloc statistics).")

    @Option(help: "Steps measured after the warm-up.") var steps = 1000
    @Option(help: "Steps measured for the conv workload's cases (each a few milliseconds).") var convSteps = 100

    func run() throws {
        guard Allocator.hasStatistics else {
            throw ValidationError("built without the Jemalloc trait: no allocator statistics")
        }
        let settings = BenchSettings(threads: 1)
        Parallel.threads = 1
        BLASLibrary.maxThreads = 1
        func row(_ cells: [String]) -> String {
            zip(cells, [-10, -7, 11, 11, 24, 14]).map { cell, width in
                let padding = String(repeating: " ", count: max(0, abs(width) - cell.count))
                return width < 0 ? cell + padding : padding + cell
            }.joined(separator: " ")
        }
        print(row(["workload", "case", "calls/step", "bytes/step", "net bytes, all steps", "graph growth"]))
        for workload in [Seed.self, MLPSmall.self, Conv.self, TransformerOps.self] as [any Workload.Type] {
            let steps = ObjectIdentifier(workload) == ObjectIdentifier(Conv.self) ? convSteps : steps
            for bench in workload.cases(settings) {
                let call = try bench.prepare()
                for _ in 0..<10 { try call() }
                let reserved = currentGraphStats().bytesReserved
                let calls0 = Allocator.allocationCount
                let allocated0 = Allocator.threadAllocatedBytes
                let freed0 = Allocator.threadDeallocatedBytes
                for _ in 0..<steps { try call() }
                let calls = Allocator.allocationCount - calls0
                let allocated = Allocator.threadAllocatedBytes - allocated0
                let freed = Allocator.threadDeallocatedBytes - freed0
                let net = Int64(bitPattern: allocated &- freed)
                print(row([bench.workload, bench.name, String(format: "%.1f", Double(calls) / Double(steps)),
                           String(format: "%.0f", Double(allocated) / Double(steps)), "\(net)",
                           "\(currentGraphStats().bytesReserved - reserved) B"]))
            }
        }
    }
}
