import Foundation

/// The fixtures written by the Python scripts in `Tests/Fixtures/` (see its README).
public enum Fixtures {
    /// `Tests/Fixtures/`, found from this file's path so that tests run from any directory.
    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// `Tests/Fixtures/<name>`.
    public static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
}
