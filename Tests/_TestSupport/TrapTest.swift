import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Testing that a call traps (as an operator's programmer errors do, through the libraries' `trap`
/// and `trapUnless`, Note [Traps keep their message] in Sources/Arena/Trap.swift).
///
/// A trap ends the process, so it can't be caught in the test: ``XCTestCase/expectTrap(_:message:file:line:function:_:)``
/// re-runs the current test binary (`/proc/self/exe`, else `CommandLine.arguments[0]`) in a child
/// process, asking it for this one test only (`Module.Class/testMethod`, the argument the Linux
/// XCTest runner that `swift test` uses takes) with `XCTEST_TRAP_CASE=<label>` in its
/// environment. In the child, the test runs as usual up to the `expectTrap` call whose label
/// matches, whose body then runs and must trap; every other `expectTrap` call in the child does
/// nothing (so children never spawn children). The parent checks that the child died (by a
/// signal, or with a sanitizer's non-zero exit status) and that its standard error holds
/// `message`.
///
/// The libraries print a trap's message in every build, release (`-O`) included, so the message
/// is checked in every build. (Swift's own `precondition` would trap silently under `-O`: a body
/// that traps through it fails the message check there.)
///
/// Run one trap case by hand:
///
///     XCTEST_TRAP_CASE=leafAdd .build/debug/SwiftAutogradPackageTests.xctest AutogradTests.InPlaceTests/testInPlaceOnALeafThatRequiresGradTraps
public enum TrapTest {
    /// The environment variable naming the trap case a child runs.
    public static let environmentKey = "XCTEST_TRAP_CASE"

    /// Exit status of a child whose body returned instead of trapping.
    public static let didNotTrapStatus: Int32 = 97

    /// The trap case this process was started for, or `nil` in the parent test run.
    public static var currentCase: String? {
        getenv(environmentKey).map { String(cString: $0) }
    }

    /// How a child ended.
    public struct Outcome: CustomStringConvertible {
        /// The exit status, when the child exited.
        public var exitStatus: Int32?
        /// The signal that ended the child, when one did.
        public var signal: Int32?
        /// Everything the child wrote to standard error.
        public var standardError: String

        public var trapped: Bool {
            signal != nil || (exitStatus.map { $0 != 0 && $0 != TrapTest.didNotTrapStatus } ?? false)
        }

        public var description: String {
            let how = signal.map { "killed by signal \($0)" } ?? "exited with status \(exitStatus ?? -1)"
            return "\(how); stderr:\n\(standardError.suffix(2000))"
        }
    }

    /// The path of the running executable.
    static var executablePath: String {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        return CommandLine.arguments[0]
    }

    /// Runs this binary as `binary <arguments>` with `XCTEST_TRAP_CASE=label` and returns how it ended.
    public static func runChild(label: String, arguments: [String]) -> Outcome {
        let errorPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("trap-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).stderr").path
        defer { unlink(errorPath) }

        var environment = ProcessInfo.processInfo.environment
        environment[environmentKey] = label
        // The backtracer would symbolicate the crash for seconds; the message is all we need.
        environment["SWIFT_BACKTRACE"] = "enable=no"
        let path = executablePath
        let argv = [path] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        var pid = pid_t()
        let status = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnvp in posix_spawn(&pid, path, &actions, nil, cArgv, cEnvp) }
        }
        guard status == 0 else {
            return Outcome(exitStatus: nil, signal: nil, standardError: "posix_spawn failed: \(String(cString: strerror(status)))")
        }
        var wait: Int32 = 0
        while waitpid(pid, &wait, 0) < 0 && errno == EINTR {}
        let standardError = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        // WIFEXITED / WTERMSIG, spelled out (the C macros are not imported).
        let signal = wait & 0x7f
        if signal == 0 { return Outcome(exitStatus: (wait >> 8) & 0xff, signal: nil, standardError: standardError) }
        return Outcome(exitStatus: nil, signal: signal, standardError: standardError)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return body(pointers)
    }
}

extension XCTestCase {
    /// Asserts that `body` traps, and that the trap's message contains `message` (in every
    /// build). See ``TrapTest`` for how: the body runs in a child process. `label` names the
    /// case and must be unique within the calling test method.
    ///
    /// ```swift
    /// func testBroadcastTraps() {
    ///     expectTrap("broadcast", message: "The size of tensor a (3) must match") {
    ///         _ = Tensor<Float>.ones([3]) + Tensor<Float>.ones([4])
    ///     }
    /// }
    /// ```
    public func expectTrap(
        _ label: String, message: String?, file: StaticString = #filePath, line: UInt = #line,
        function: String = #function, _ body: () -> Void
    ) {
        if let wanted = TrapTest.currentCase {
            // In a child: run the one body asked for; skip every other case.
            guard wanted == label else { return }
            FileHandle.standardError.write("expectTrap: running \(label)\n".data(using: .utf8)!)
            body()
            FileHandle.standardError.write("expectTrap: \(label) returned without trapping\n".data(using: .utf8)!)
            exit(TrapTest.didNotTrapStatus)
        }
        let method = function.hasSuffix("()") ? String(function.dropLast(2)) : function
        let test = "\(String(reflecting: type(of: self)))/\(method)"
        let outcome = TrapTest.runChild(label: label, arguments: [test])
        guard outcome.standardError.contains("expectTrap: running \(label)") else {
            XCTFail("trap case \(label): the child never reached it (ran \(test)); \(outcome)", file: file, line: line)
            return
        }
        guard outcome.trapped else {
            XCTFail("trap case \(label): did not trap; \(outcome)", file: file, line: line)
            return
        }
        if let message, !outcome.standardError.contains(message) {
            XCTFail("trap case \(label): trapped, but stderr lacks \"\(message)\"; \(outcome)", file: file, line: line)
        }
    }
}
