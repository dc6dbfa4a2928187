import Arena
import CThreadLocal
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What each thread owns: its grad mode and its graphs (one per scalar type).
///
/// Found through a C thread-local variable rather than Foundation's thread dictionary: a lookup
/// is one load and allocates nothing; a pthread key's destructor frees the context with the thread.
final class ThreadContext {
    @exclusivity(unchecked) var gradEnabled = true
    @exclusivity(unchecked) var generator = RandomGenerator(seed: 0)
    /// How many sweeps with targets (`grad(...)`, `backward(inputs:)`) are running on this
    /// thread: a checkpoint's backward refuses to run inside one, as PyTorch's does.
    @exclusivity(unchecked) var targetedSweeps = 0
    let floatGraph = Graph<Float>()
    let doubleGraph = Graph<Double>()
    /// Gradients that crossed from one graph into the other during a sweep, with the tensors
    /// they belong to (Note [Conversions between graphs]).
    @exclusivity(unchecked) var floatCrossings: [(Tensor<Float>, DenseTensor<Float>)] = []
    @exclusivity(unchecked) var doubleCrossings: [(Tensor<Double>, DenseTensor<Double>)] = []
    /// The recorded sweep's queues (`sendAcrossRecorded`).
    @exclusivity(unchecked) var floatRecordedCrossings: [(Tensor<Float>, Tensor<Float>)] = []
    @exclusivity(unchecked) var doubleRecordedCrossings: [(Tensor<Double>, Tensor<Double>)] = []
    /// Graphs of scalar types other than Float and Double, should anyone add a conformance.
    @exclusivity(unchecked) var otherGraphs: [ObjectIdentifier: any GraphStatisticsSource] = [:]

    @inline(__always)
    static var current: ThreadContext { unmanagedCurrent.takeUnretainedValue() }

    /// Runs `body` with this thread's context, borrowed: no retain and release around it, which
    /// the per-op path (`Tensor.record`) would otherwise pay on every op.
    @inline(__always)
    static func withCurrent<R>(_ body: (ThreadContext) throws -> R) rethrows -> R {
        try unmanagedCurrent._withUnsafeGuaranteedRef(body)
    }

    /// Found through a C thread-local variable (see CThreadLocal.h); the pthread key only frees it.
    @inline(__always)
    private static var unmanagedCurrent: Unmanaged<ThreadContext> {
        if let raw = swiftautograd_thread_context() { return Unmanaged.fromOpaque(raw) }
        return makeCurrent()
    }

    @inline(never)
    private static func makeCurrent() -> Unmanaged<ThreadContext> {
        _ = OpTable.definitions   // numbers the ops (`OpDefinition.kind`) before this thread records one
        let context = Unmanaged.passRetained(ThreadContext())
        pthread_setspecific(threadContextKey, context.toOpaque())
        swiftautograd_set_thread_context(context.toOpaque())
        return context
    }

    /// This thread's graph for `Scalar`, not retained: the context owns it for the thread's life.
    @inline(__always)
    func unmanagedGraph<Scalar: TensorScalar>(_: Scalar.Type) -> UnownedRef<Graph<Scalar>> {
        if Scalar.self == Float.self { return UnownedRef(unsafeDowncast(floatGraph, to: Graph<Scalar>.self)) }
        if Scalar.self == Double.self { return UnownedRef(unsafeDowncast(doubleGraph, to: Graph<Scalar>.self)) }
        return UnownedRef(graph(Scalar.self))
    }

    @inline(__always)
    func graph<Scalar: TensorScalar>(_: Scalar.Type) -> Graph<Scalar> {
        if Scalar.self == Float.self { return unsafeDowncast(floatGraph, to: Graph<Scalar>.self) }
        if Scalar.self == Double.self { return unsafeDowncast(doubleGraph, to: Graph<Scalar>.self) }
        let id = ObjectIdentifier(Scalar.self)
        if let graph = otherGraphs[id] { return unsafeDowncast(graph, to: Graph<Scalar>.self) }
        let graph = Graph<Scalar>()
        otherGraphs[id] = graph
        return graph
    }
}

private let threadContextKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { raw in
        guard let raw else { return }
        swiftautograd_set_thread_context(nil)
        Unmanaged<ThreadContext>.fromOpaque(raw).release()
    }
    trapUnless(status == 0, "Autograd: cannot create the thread-local key (\(status))")
    return key
}()
