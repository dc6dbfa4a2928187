import Foundation
import XCTest
import Arena
import Autograd

/// A view costs no tensor buffer: the view ops of API.md "Views share storage" take none from
/// the buffer cache (``BufferCache/statistics`` counts every request tensor storage makes, served
/// from the cache or from the system), recorded or not, and the live storage stays the same.
/// The copies (`contiguous()` of a strided tensor, a reshape that can't be a view, `cloned()`)
/// take exactly one each, which shows the count sees them.
final class ViewMemoryTests: XCTestCase {
    private func requests() -> Int {
        let s = BufferCache.statistics
        return s.hits + s.misses
    }

    /// The views of `base`, each made once.
    private func views(of base: Tensor<Float>) -> [Tensor<Float>] {
        [
            base.transposed(0, 2), base.permuted([2, 0, 1]), base.expanded(to: [3, 4, 6, 8]),
            base.unsqueezed(dim: 1), base.unsqueezed(dim: 0).squeezed(), base.unsqueezed(dim: -1).squeezed(dim: -1),
            base.select(dim: 1, index: 2), base.narrow(dim: 2, start: 1, length: 5), base.reshaped([24, 8]),
            base.flattened(), base.flattened(startDim: 1), base.permuted([1, 0, 2]).reshaped([6, 2, 2, 8]),
            base.narrow(dim: 0, start: 1, length: 2).flattened(), base.contiguous(),
            base.permuted([2, 1, 0]).transposed(0, 1).select(dim: -1, index: -1),
        ]
    }

    func testViewsTakeNoTensorBuffer() throws {
        for (label, requiresGrad, noGrad) in [("recorded", true, false), ("no grad needed", false, false), ("under withNoGrad", true, true)] {
            let x = Tensor<Float>.ones([4, 6, 8], requiresGrad: requiresGrad)
            let base = x * 2   // a non-leaf when `x` requires grad
            let before = requests()
            let storageBefore = BufferCache.liveBytes
            let made = noGrad ? withNoGrad { views(of: base) } : views(of: base)
            XCTAssertEqual(requests() - before, 0, "\(label): a view took a tensor buffer")
            XCTAssertEqual(BufferCache.liveBytes, storageBefore, "\(label): live storage changed")
            for (i, v) in made.enumerated() {
                XCTAssertTrue(v.data.storage === base.data.storage, "\(label): view \(i) has storage of its own")
                if v === base { continue }   // `contiguous()` of a contiguous tensor is itself
                XCTAssertTrue(v.isView, "\(label): view \(i) is not marked a view")
                XCTAssertEqual(v.requiresGrad, requiresGrad && !noGrad, "\(label): view \(i)")
            }
            withExtendedLifetime((x, made)) {}
        }
    }

    func testCopiesTakeOneBufferEach() throws {
        let x = Tensor<Float>.ones([4, 6, 8], requiresGrad: true)
        let base = x * 2
        let strided = base.transposed(0, 2)
        var before = requests()
        let copies = [strided.contiguous(), strided.reshaped([-1]), strided.cloned(), base.cloned()]
        XCTAssertEqual(requests() - before, copies.count)
        for c in copies { XCTAssertFalse(c.isView) }

        // The derivatives of select and narrow write into one new buffer each.
        let picked = base.select(dim: 1, index: 2).sum() + base.narrow(dim: 2, start: 1, length: 5).sum()
        before = requests()
        try picked.backward()
        XCTAssertNotNil(x.grad)
        XCTAssertGreaterThan(requests() - before, 0)
    }
}
