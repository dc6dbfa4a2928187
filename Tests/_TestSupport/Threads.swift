#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Running test code on threads of its own (pthreads, so that the stack size is ours to choose
/// and joining gives ThreadSanitizer the happens-before edge it needs).
public enum TestThreads {
    /// Runs each body on a thread of its own, all at once (they start together at a barrier),
    /// and returns their results in order once every thread has finished.
    public static func runConcurrently<R: Sendable>(
        stackSize: Int = 8 << 20, _ bodies: [@Sendable () -> R]
    ) -> [R] {
        let barrier = Barrier(count: bodies.count)
        let jobs = bodies.map { body in
            Job<R> {
                barrier.wait()
                return body()
            }
        }
        var threads: [pthread_t] = []
        for job in jobs {
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            pthread_attr_setstacksize(&attributes, stackSize)
            var thread = pthread_t()
            let status = pthread_create(&thread, &attributes, { raw in
                let job = Unmanaged<AnyObject>.fromOpaque(raw!).takeUnretainedValue() as! Runnable
                job.run()
                return nil
            }, Unmanaged.passUnretained(job as AnyObject).toOpaque())
            pthread_attr_destroy(&attributes)
            precondition(status == 0, "pthread_create failed (\(status))")
            threads.append(thread)
        }
        for thread in threads { pthread_join(thread, nil) }
        return jobs.map { $0.result! }
    }

    /// Runs `body` on a new thread with a stack of `stackSize` bytes and returns its result.
    public static func run<R: Sendable>(stackSize: Int = 8 << 20, _ body: @escaping @Sendable () -> R) -> R {
        runConcurrently(stackSize: stackSize, [body])[0]
    }
}

private protocol Runnable: AnyObject { func run() }

private final class Job<R>: Runnable, @unchecked Sendable {
    let body: () -> R
    var result: R?
    init(_ body: @escaping () -> R) { self.body = body }
    func run() { result = body() }
}

/// A one-shot barrier: `wait()` returns once `count` threads are waiting.
private final class Barrier: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var waiting = 0
    private let count: Int

    init(count: Int) {
        self.count = count
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func wait() {
        pthread_mutex_lock(mutex)
        waiting += 1
        if waiting == count {
            pthread_cond_broadcast(condition)
        } else {
            while waiting < count { pthread_cond_wait(condition, mutex) }
        }
        pthread_mutex_unlock(mutex)
    }
}
