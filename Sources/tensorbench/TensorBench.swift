import ArgumentParser

/// The benchmark harness and demo runner. It parses flags and calls the libraries; nothing else.
@main
struct TensorBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensorbench",
        abstract: "Demos and benchmarks for the Swift autograd library.",
        subcommands: [SeedCommand.self, TrainCommand.self, SampleCommand.self, BenchCommand.self, AllocationsCommand.self])
}
