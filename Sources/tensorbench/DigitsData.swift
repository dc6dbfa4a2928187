import ArgumentParser
import Autograd
import Foundation

/// The bundled digits data (Data/digits.csv, 8×8 images) split as PyTorch's reference run
/// splits it (Data/digits-split.txt).
struct DigitsData {
    let train: LabeledDataset<Float>
    let test: LabeledDataset<Float>

    /// Finds `Data/` in the working directory, else beside this package's sources.
    static func defaultDirectory() -> URL {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Data")
        if FileManager.default.fileExists(atPath: cwd.appendingPathComponent("digits.csv").path) { return cwd }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Data")
    }

    init(directory: URL, trainCount: Int = 1437) throws {
        let all = try LabeledDataset<Float>(csvAt: directory.appendingPathComponent("digits.csv"), scale: 1.0 / 16)
        let splitText = try String(contentsOf: directory.appendingPathComponent("digits-split.txt"), encoding: .utf8)
        let order = splitText.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("#") }
            .flatMap { $0.split(separator: " ") }.compactMap { Int($0) }
        guard order.count == all.count, Set(order).count == all.count, order.allSatisfy({ (0..<all.count).contains($0) }) else {
            throw ValidationError("digits-split.txt is not a permutation of the \(all.count) rows")
        }
        train = all.subset(order.prefix(trainCount))
        test = all.subset(order.dropFirst(trainCount))
    }
}
