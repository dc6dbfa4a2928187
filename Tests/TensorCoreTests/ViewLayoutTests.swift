import XCTest
import _TestSupport
@testable import TensorCore

/// A view keeps its layout in its shape array's spare capacity (Note [A view's layout in its
/// shape's capacity]). These tests hold the packed layout against a plain reference (arrays of
/// sizes and strides, edited as PyTorch's view rules say) and check that no other holder of the
/// shape array can disturb it.
final class ViewLayoutTests: XCTestCase {
    /// The reference: sizes, strides and offset as plain arrays.
    private struct Reference {
        var shape: [Int], strides: [Int], offset: Int

        func element(_ storage: [Float], at flat: Int) -> Float {
            var rest = flat, position = offset
            for axis in stride(from: shape.count - 1, through: 0, by: -1) {
                position += (rest % shape[axis]) * strides[axis]
                rest /= shape[axis]
            }
            return storage[position]
        }
    }

    private func check(_ view: DenseTensor<Float>, _ reference: Reference, _ storage: [Float], _ label: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(view.shape, reference.shape, label, file: file, line: line)
        XCTAssertEqual(view.strides, reference.strides, label, file: file, line: line)
        XCTAssertEqual(view.offset, reference.offset, label, file: file, line: line)
        XCTAssertEqual(view.count, reference.shape.reduce(1, *), label, file: file, line: line)
        XCTAssertEqual(view.isContiguous, Shape.isContiguous(shape: reference.shape, strides: reference.strides), label, file: file, line: line)
        let expected = (0..<view.count).map { reference.element(storage, at: $0) }
        XCTAssertEqual(view.scalars, expected, label, file: file, line: line)
    }

    /// Random chains of the four ops that write the packed array directly (and the rarer ones
    /// that pack arrays), each step checked against the reference.
    func testRandomChainsMatchThePlainLayout() {
        var generator = RandomGenerator(seed: 5)
        func next(_ bound: Int) -> Int { Int(generator.next() % UInt64(bound)) }
        for chain in 0..<40 {
            let shape = (0..<(1 + next(4))).map { _ in 1 + next(4) }
            let count = shape.reduce(1, *)
            let storage = (0..<count).map(Float.init)
            var view = try! DenseTensor<Float>(scalars: storage, shape: shape)
            var reference = Reference(shape: shape, strides: Shape.strides(shape), offset: 0)
            for step in 0..<12 {
                // The view this step starts from must come out of it unchanged: each view is made
                // in a fresh array, never in the one its base holds.
                let (base, baseReference) = (view, reference)
                defer { check(base, baseReference, storage, "chain \(chain) step \(step): the base afterwards") }
                let rank = reference.shape.count
                var label = "chain \(chain) step \(step): "
                switch next(6) {
                case 0 where rank >= 2:
                    let (a, b) = (next(rank), next(rank))
                    label += "transposed(\(a), \(b))"
                    view = view.transposed(a, b)
                    reference.shape.swapAt(a, b)
                    reference.strides.swapAt(a, b)
                case 1 where rank >= 1:
                    let axis = next(rank), index = next(reference.shape[axis])
                    label += "selected(dim: \(axis), index: \(index))"
                    view = view.selected(dim: axis, index: index)
                    reference.offset += index * reference.strides[axis]
                    reference.shape.remove(at: axis)
                    reference.strides.remove(at: axis)
                case 2 where rank >= 1:
                    let axis = next(rank), size = reference.shape[axis]
                    let start = next(size), length = next(size - start + 1), step = 1 + next(2)
                    label += "narrowed(dim: \(axis), start: \(start), length: \(length), step: \(step))"
                    view = view.narrowed(dim: axis, start: start, length: length, step: step)
                    reference.offset += start * reference.strides[axis]
                    reference.shape[axis] = length == 0 ? 0 : (length + step - 1) / step
                    reference.strides[axis] *= step
                case 3 where rank < 6:
                    let axis = next(rank + 1)
                    label += "unsqueezed(dim: \(axis))"
                    view = view.unsqueezed(dim: axis)
                    let wasRowMajor = reference.offset == 0 && reference.strides == Shape.strides(reference.shape)
                        && reference.shape.reduce(1, *) == count
                    reference.strides.insert(axis < rank ? reference.shape[axis] * reference.strides[axis] : 1, at: axis)
                    reference.shape.insert(1, at: axis)
                    if wasRowMajor && reference.shape.reduce(1, *) > 0 { reference.strides = Shape.strides(reference.shape) }
                case 4 where rank >= 1:
                    let dims = Array(0..<rank).shuffled(using: &generator)
                    label += "permuted(\(dims))"
                    view = view.permuted(dims)
                    reference.shape = dims.map { reference.shape[$0] }
                    reference.strides = dims.map { reference.strides[$0] }
                default:
                    continue
                }
                if reference.shape.contains(0) { break }   // an empty view has nothing left to check
                check(view, reference, storage, label)
            }
        }
    }

    /// A copy of a view's shape that grows, or is edited, gets storage of its own: the view's
    /// sizes, strides and elements stay as they were. So do those of a tensor made with the
    /// view's shape, and of a view of that tensor.
    func testOtherHoldersOfAViewsShapeLeaveItAlone() throws {
        let base = try DenseTensor<Float>(scalars: (0..<24).map(Float.init), shape: [2, 3, 4])
        let view = base.transposed(0, 2).narrowed(dim: 1, start: 1, length: 2)
        let reference = Reference(shape: [4, 2, 2], strides: [1, 4, 12], offset: 4)
        let storage = base.scalars
        check(view, reference, storage, "as made")

        var grown = view.shape
        grown.append(99)
        grown.append(contentsOf: [7, 7, 7, 7, 7, 7])
        var edited = view.shape
        edited[0] = 5
        XCTAssertEqual(grown, [4, 2, 2, 99, 7, 7, 7, 7, 7, 7])
        XCTAssertEqual(edited, [5, 2, 2])
        check(view, reference, storage, "after a copy of its shape grew")

        // A row-major tensor with the view's shape array, then a view of that tensor.
        let sharing = DenseTensor<Float>(storage: TensorStorage(uninitializedCount: 16), shape: view.shape)
        XCTAssertEqual(sharing.strides, [4, 2, 1])
        XCTAssertEqual(sharing.offset, 0)
        XCTAssertTrue(sharing.isContiguous)
        let second = sharing.transposed(0, 1)
        XCTAssertEqual(second.strides, [2, 4, 1])
        check(view, reference, storage, "after a view of a tensor sharing its shape")
    }

    /// A 0-d view (a select of a 1-D tensor) has no sizes: its layout lies from the first word
    /// of the shape array's storage.
    func testZeroDimensionalViews() throws {
        let base = try DenseTensor<Float>(scalars: [10, 11, 12, 13], shape: [4])
        let picked = base.selected(dim: 0, index: 2)
        XCTAssertEqual(picked.shape, [])
        XCTAssertEqual(picked.strides, [])
        XCTAssertEqual(picked.offset, 2)
        XCTAssertEqual(picked.count, 1)
        XCTAssertEqual(picked.scalar, 12)
        let back = picked.unsqueezed(dim: 0).expanded(to: [3])
        XCTAssertEqual(back.strides, [0])
        XCTAssertEqual(back.offset, 2)
        XCTAssertEqual(back.scalars, [12, 12, 12])
        XCTAssertEqual(picked.unsqueezed(dim: 0).strides, [1])
    }
}
