import BridgeApprovals
import Dispatch

/// Copies the write-ahead log back into the database file from a background thread, on its own connection.
///
/// SQLite's automatic checkpoint runs inside whichever COMMIT pushes the log past 1,000 pages, so that one transfer
/// waits for a thousand page writes and a second fsync: the long tail of the transfer latency. This runs
/// `PRAGMA wal_checkpoint(PASSIVE)` every `interval` instead; PASSIVE never waits for the writer or the readers, it
/// copies what it can. A checkpoint is safe at any moment: the log stays authoritative until it completes.
///
/// The writer keeps an automatic checkpoint at ``backstopPages``: under a write load that never pauses, the log can
/// only start over after a checkpoint that caught up with the writer, which a commit's own checkpoint does (cheaply,
/// since this one has already copied nearly everything).
final class SQLiteCheckpointer: @unchecked Sendable {
    // The connection is only touched on `queue`; `timer` is resumed and cancelled once each.
    private let queue = DispatchQueue(label: "walletbridge.sqlite-checkpoint")
    private var database: SQLiteDatabase?
    private let timer: any DispatchSourceTimer

    /// The writer's automatic checkpoint threshold, in log pages, while this runs (SQLite's default is 1,000).
    static let backstopPages = 10_000

    /// Opens a connection to `path` (an existing WAL database) and starts checkpointing every `interval`.
    init(path: String, interval: Duration) throws(ApprovalError) {
        database = try SQLiteDatabase(path: path, createIfMissing: false)
        timer = DispatchSource.makeTimerSource(queue: queue)
        let milliseconds = max(1, Int(interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000))
        timer.schedule(deadline: .now() + .milliseconds(milliseconds), repeating: .milliseconds(milliseconds))
        timer.setEventHandler { [weak self] in self?.checkpoint() }
        timer.resume()
    }

    deinit { timer.cancel() }

    /// One passive checkpoint now (also what the timer runs). Failures are left for the next round: until a checkpoint
    /// succeeds, the log only grows, and every commit in it is durable either way.
    func checkpoint() {
        guard let database else { return }
        _ = try? database.query("PRAGMA wal_checkpoint(PASSIVE)") { _ in () }
    }

    /// Stops the timer and closes the connection, waiting for a checkpoint in progress.
    func close() {
        timer.cancel()
        queue.sync {
            database?.close()
            database = nil
        }
    }
}
