// Note [Traps keep their message]
//
// Misuse a user can make inside an operator (two shapes that do not broadcast, a `dim` out of
// range, a matmul whose inner sizes differ) stops the program with PyTorch's message, like an
// array index out of range (API.md, "Errors"). Swift's `precondition` and `preconditionFailure`
// drop their message under `-O`: a release build printed only `*** Program crashed: Illegal
// instruction`, and its user never read what went wrong. `fatalError` prints its message in every
// build, so the libraries trap through the two functions below, built on it.
//
// `trapUnless` is inlined, so the check at a call site stays a compare and a branch; the
// message is built only on the failure path, in `trap`, which is out of line and never returns
// (LLVM treats a branch into a `noreturn` call as cold). Both are `package`: Arena, TensorCore
// and Autograd share them, and they are no part of the API that `import Autograd` gives.
// Internal invariants that no call can break stay `assert`s.

/// Stops the program with `message` (in release builds too) unless `condition` holds.
///
///     trapUnless(k == k2, "mat1 and mat2 shapes cannot be multiplied (\(m)x\(k) and \(k2)x\(n))")
///
/// See Note [Traps keep their message].
@inlinable @inline(__always)
package func trapUnless(
    _ condition: Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition { trap(message(), file: file, line: line) }
}

/// Stops the program with `message`, in release builds too; prints `file:line: Fatal error:`
/// and the message to standard error. See Note [Traps keep their message].
@usableFromInline @inline(never)
package func trap(
    _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
) -> Never {
    fatalError(message(), file: file, line: line)
}
