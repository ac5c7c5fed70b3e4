import BridgeCore
import Dispatch
import FoundationEssentials

/// A gadget's serving loop on a thread of its own, and the semaphore that says it has ended (a stop waits on it).
enum GadgetThread {
    static func start(_ name: String, _ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        NativeThread.start(name) {
            body()
            done.signal()
        }
        return done
    }
}
