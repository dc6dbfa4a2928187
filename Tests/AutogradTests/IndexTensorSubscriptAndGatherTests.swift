import XCTest
import Autograd
import _TestSupport

/// Subscripts (views, copies, setters), split/chunked/unbind, cloned and the selecting ops of
/// `Int` and `Bool` tensors, which are never recorded. Every expected literal (shape, strides,
/// storage offset, values, `_is_view()`, `_version`) came from running the same program in
/// PyTorch 2.11.0 (int64 and bool tensors).
final class IndexTensorSubscriptAndGatherTests: XCTestCase {
    private typealias I = Tensor<Int>
    private typealias B = Tensor<Bool>

    /// Asserts PyTorch's layout and values of `t`.
    private func expect<S>(
        _ t: Tensor<S>, _ shape: [Int], _ strides: [Int], _ offset: Int, _ values: [S], view: Bool, version: Int = 0,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(t.shape, shape, "shape", file: file, line: line)
        XCTAssertEqual(t.strides, strides, "strides", file: file, line: line)
        XCTAssertEqual(t.data.offset, offset, "offset", file: file, line: line)
        XCTAssertEqual(t.scalars, values, "values", file: file, line: line)
        XCTAssertEqual(t.isView, view, "isView", file: file, line: line)
        XCTAssertEqual(t.version, version, "version", file: file, line: line)
        XCTAssertFalse(t.requiresGrad, file: file, line: line)
    }

    private func arange(_ n: Int, _ shape: [Int]) throws -> I { try I(Array(0..<n), shape: shape) }

    func testIntGettersAreViewsOrCopies() throws {
        let x = try arange(24, [2, 3, 4])
        expect(x[1], [3, 4], [4, 1], 12, Array(12..<24), view: true)
        expect(x[-1, 0], [4], [1], 12, [12, 13, 14, 15], view: true)
        expect(x[.all, 1..<3], [2, 2, 4], [12, 4, 1], 4, [4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23], view: true)
        expect(x[.ellipsis, .stride(0..<4, by: 2)], [2, 3, 2], [12, 4, 2], 0, Array(stride(from: 0, to: 24, by: 2)), view: true)
        expect(x[.newAxis, 0], [1, 3, 4], [24, 4, 1], 0, Array(0..<12), view: true)
        expect(x[.ellipsis], [2, 3, 4], [12, 4, 1], 0, Array(0..<24), view: true)
        expect(x[0, 2, -1], [], [], 11, [11], view: true)
        let n: Int = x[0, 2, -1]
        XCTAssertEqual(n, 11)
        // A tensor index copies.
        expect(x[I([1, 0, 1])], [3, 3, 4], [12, 4, 1], 0, Array(12..<24) + Array(0..<24), view: false)
        let m = try B([true, false, true, false, false, true], shape: [2, 3])
        expect(x[m], [3, 4], [4, 1], 0, [0, 1, 2, 3, 8, 9, 10, 11, 20, 21, 22, 23], view: false)
    }

    /// A write through a subscript's view is seen in the base, and the version is shared.
    func testIntViewSharesStorageAndVersion() throws {
        let x = try arange(24, [2, 3, 4])
        let v = x[1, .all, 1..<3]
        v[0] = 100
        expect(x, [2, 3, 4], [12, 4, 1], 0, Array(0..<13) + [100, 100] + Array(15..<24), view: false, version: 1)
        expect(v, [3, 2], [4, 1], 13, [100, 100, 17, 18, 21, 22], view: true, version: 1)
        XCTAssertTrue(v.data.storage === x.data.storage)
    }

    func testIntSetters() throws {
        let y = try arange(12, [3, 4])
        y[0] = I([7, 8, 9, 10])
        XCTAssertEqual(y.scalars, [7, 8, 9, 10, 4, 5, 6, 7, 8, 9, 10, 11])
        y[.all, 1..<3] = try I([-1, -2], shape: [1, 2])   // broadcast over the rows
        XCTAssertEqual(y.scalars, [7, -1, -2, 10, 4, -1, -2, 7, 8, -1, -2, 11])
        y[1, .ellipsis] = 5
        XCTAssertEqual(y.scalars, [7, -1, -2, 10, 5, 5, 5, 5, 8, -1, -2, 11])
        y[I([2, 0])] = I([1, 1, 1, 1])
        XCTAssertEqual(y.scalars, [1, 1, 1, 1, 5, 5, 5, 5, 1, 1, 1, 1])
        y[y .> 5] = I(0)   // selects nothing, still a write
        XCTAssertEqual(y.scalars, [1, 1, 1, 1, 5, 5, 5, 5, 1, 1, 1, 1])
        XCTAssertEqual(y.version, 5)
        // `+=` on the row, through the tensor subscript (a row: the `Scalar` one would trap).
        // PyTorch counts 7: Python's `y[0] += 3` is an in-place add on the view and then a
        // `__setitem__` copying the view into itself; Swift's `+=` on a class operand calls no
        // setter, so one write.
        y[0] += 3
        expect(y, [3, 4], [4, 1], 0, [4, 4, 4, 4, 5, 5, 5, 5, 1, 1, 1, 1], view: false, version: 6)
    }

    func testBoolSubscripts() throws {
        let b = try B([true, false, true, false, true, false], shape: [2, 3])
        expect(b[1], [3], [1], 3, [false, true, false], view: true)
        expect(b[.all, .stride(0..<3, by: 2)], [2, 2], [3, 2], 0, [true, true, false, false], view: true)
        let first: Bool = b[0, 2]
        XCTAssertTrue(first)
        b[0] = false
        expect(b, [2, 3], [3, 1], 0, [false, false, false, false, true, false], view: false, version: 1)
        b[.all, 1] = B([true, true])
        expect(b, [2, 3], [3, 1], 0, [false, true, false, false, true, false], view: false, version: 2)
        b[B([true, false])] = true
        expect(b, [2, 3], [3, 1], 0, [true, true, true, false, true, false], view: false, version: 3)
    }

    func testSplitChunkedUnbindAndCloned() throws {
        let z = try arange(10, [5, 2])
        let s = z.split(size: 2)
        XCTAssertEqual(s.count, 3)
        expect(s[0], [2, 2], [2, 1], 0, [0, 1, 2, 3], view: true)
        expect(s[1], [2, 2], [2, 1], 4, [4, 5, 6, 7], view: true)
        expect(s[2], [1, 2], [2, 1], 8, [8, 9], view: true)
        let sizes = z.split(sizes: [1, 4])
        expect(sizes[0], [1, 2], [2, 1], 0, [0, 1], view: true)
        expect(sizes[1], [4, 2], [2, 1], 2, Array(2..<10), view: true)
        let c = z.chunked(2, dim: 1)
        expect(c[0], [5, 1], [2, 1], 0, [0, 2, 4, 6, 8], view: true)
        expect(c[1], [5, 1], [2, 1], 1, [1, 3, 5, 7, 9], view: true)
        let u = z.unbind(dim: 1)
        expect(u[0], [5], [2], 0, [0, 2, 4, 6, 8], view: true)
        expect(u[1], [5], [2], 1, [1, 3, 5, 7, 9], view: true)
        expect(z.transposed().cloned(), [2, 5], [1, 2], 0, [0, 2, 4, 6, 8, 1, 3, 5, 7, 9], view: false)
        // Unrecorded, the pieces can be written in place, into the base.
        u[1][0] = -1
        XCTAssertEqual(z.scalars, [0, -1, 2, 3, 4, 5, 6, 7, 8, 9])
        XCTAssertEqual(s[0].version, 1)

        let bb = try B([true, false, false, false, true, true], shape: [3, 2])
        let bu = bb.unbind()
        expect(bu[0], [2], [1], 0, [true, false], view: true)
        expect(bu[1], [2], [1], 2, [false, false], view: true)
        expect(bu[2], [2], [1], 4, [true, true], view: true)
        let clone = bb.transposed().cloned()
        expect(clone, [2, 3], [1, 2], 0, [true, false, true, false, false, true], view: false)
        XCTAssertFalse(clone.data.storage === bb.data.storage)
    }

    func testIntSelectingOps() throws {
        let q = try I([[1, 2, 3], [4, 5, 6]])
        expect(q.indexSelect(dim: 1, index: I([2, 0, 2])), [2, 3], [3, 1], 0, [3, 1, 3, 6, 4, 6], view: false)
        expect(q.gather(dim: 1, index: try I([[2, 2], [0, 1]])), [2, 2], [2, 1], 0, [3, 3, 4, 5], view: false)
        expect(q.scatterAdd(dim: 1, index: try I([[0, 0], [2, 1]]), source: try I([[10, 20], [30, 40]])),
               [2, 3], [3, 1], 0, [31, 2, 3, 4, 45, 36], view: false)
        expect(q.maskedFill(B([true, false, true]), with: -1), [2, 3], [3, 1], 0, [-1, 2, -1, -1, 5, -1], view: false)
        expect(I.where(try B([[true], [false]]), q, I([0, -1, -2])), [2, 3], [3, 1], 0, [1, 2, 3, 0, -1, -2], view: false)
        XCTAssertEqual(q.scalars, [1, 2, 3, 4, 5, 6])   // out of place
    }

    func testBoolSelectingOps() throws {
        let bq = try B([[true, false, false], [false, true, false]])
        expect(bq.indexSelect(dim: 0, index: I([1, 1, 0])), [3, 3], [3, 1], 0,
               [false, true, false, false, true, false, true, false, false], view: false)
        expect(bq.gather(dim: 1, index: try I([[1, 0], [1, 1]])), [2, 2], [2, 1], 0, [false, true, true, true], view: false)
        // PyTorch adds bools as `or`: true + true is true.
        expect(bq.scatterAdd(dim: 1, index: try I([[1, 1], [0, 2]]), source: try B([[true, true], [false, true]])),
               [2, 3], [3, 1], 0, [true, true, false, false, true, true], view: false)
        expect(bq.maskedFill(try B([[true], [false]]), with: true), [2, 3], [3, 1], 0,
               [true, true, true, false, true, false], view: false)
        expect(B.where(B([true, false, true]), bq, B(true)), [2, 3], [3, 1], 0,
               [true, true, false, false, true, false], view: false)
    }

    /// PyTorch's messages, exactly (its IndexError/RuntimeError text).
    func testTrapsWithPyTorchsMessages() throws {
        expectTrap("outOfRange", message: "index 5 is out of bounds for dimension 0 with size 2") {
            let x = I.zeros([2, 3, 4])
            _ = x[5] as I
        }
        expectTrap("tooMany", message: "too many indices for tensor of dimension 3") {
            let x = I.zeros([2, 3, 4])
            let _: Int = x[0, 0, 0, 0]
        }
        expectTrap("expanded", message: "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.") {
            let e = I([1, 2]).expanded(to: [3, 2])
            e[.all, 0] = 5
        }
        expectTrap("broadcast", message: "The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 0.  Target sizes: [4].  Tensor sizes: [3]") {
            let w = I.zeros([3, 4])
            w[0] = I([1, 2, 3])
        }
        expectTrap("indexSelect", message: "index out of range in self") {
            _ = B.zeros([3]).indexSelect(dim: 0, index: I([3]))
        }
    }

    /// A row of an expanded tensor has no internal overlap: PyTorch allows `e[0] = 5` (and the
    /// write shows in every row, which share it).
    func testWritingARowOfAnExpandIsAllowed() throws {
        let e = I([1, 2]).expanded(to: [3, 2])
        e[0] = 5
        XCTAssertEqual(e.scalars, [5, 5, 5, 5, 5, 5])
    }
}
