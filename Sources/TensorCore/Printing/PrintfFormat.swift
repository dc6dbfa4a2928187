import Arena
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The C conversions PyTorch's element formatting uses (through Python's `format`).
enum PrintfConversion: String {
    /// Fixed notation, `%.4f`.
    case fixed = "f"
    /// Scientific notation, `%.4e`.
    case scientific = "e"
}

/// `value` formatted as C's `printf` would with `%.<precision><conversion>`,
/// e.g. `printfFormat(123455, precision: 4, .scientific)` is `"1.2346e+05"`.
///
/// PyTorch formats elements with Python's `'{:.4f}'` / `'{:.4e}'` / `'{:.0f}'`, which are
/// correctly rounded from the double (ties to even), exponent of at least two digits; C's
/// `printf` has the same semantics, whereas Swift's own `description` prints shortest
/// round-trip digits. Non-finite values must not reach here: C may spell a NaN `-nan`, Python
/// never does.
func printfFormat(_ value: Double, precision: Int, _ conversion: PrintfConversion) -> String {
    let spec = "%.\(precision)\(conversion.rawValue)"
    // Room for every realistic element; a `%.4f` of a huge double needs more, and `vsnprintf`
    // reports how much, so a second pass gets it exactly.
    var capacity = 64
    while true {
        var buffer = [CChar](repeating: 0, count: capacity)
        let needed = Int(withVaList([value]) { arguments in
            buffer.withUnsafeMutableBufferPointer { out in
                spec.withCString { vsnprintf(out.baseAddress!, capacity, $0, arguments) }
            }
        })
        trapUnless(needed >= 0, "vsnprintf failed for \(spec)")
        if needed < capacity {
            return String(decoding: buffer[..<needed].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        capacity = needed + 1
    }
}
