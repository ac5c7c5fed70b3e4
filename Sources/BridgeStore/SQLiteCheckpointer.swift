import BridgeApprovals
import Dispatch
import Synchronization

/// Copies the write-ahead log back into the database file from a background thread, on its own connection, soon
/// after commits.
///
/// SQLite's automatic checkpoint runs inside whichever COMMIT pushes the log past 1,000 pages, so that one transfer
/// waits for a thousand page writes and a second fsync: the long tail of the transfer latency. This runs
/// `PRAGMA wal_checkpoint(PASSIVE)` instead, `interval` after a commit (``noteCommit()``), at most one at a time and
/// never more often than every `interval`; with no commits it does nothing at all. PASSIVE never waits for the writer
/// or the readers, it copies what it can. A checkpoint is safe at any moment: the log stays authoritative until it
/// completes.
///
/// Why often and small: each checkpoint ends with an fsync of the database file, and under transfers that fsync
/// competes with the commits' own flush of the log. Measured with wrk (issue 16, four alternated pairs each): every
/// 200 ms, p99 7.5-8.2 ms; every 50 ms, 5.7-7.1 ms; every 20 ms, 4.7-5.3 ms, at the same or a higher rate.
///
/// The writer keeps an automatic checkpoint at ``backstopPages``: under a write load that never pauses, the log can
/// only start over after a checkpoint that caught up with the writer, which a commit's own checkpoint does (cheaply,
/// since this one has already copied nearly everything).
final class SQLiteCheckpointer: @unchecked Sendable {
    /// Runs `work` once `delay` has passed, on any thread (tests run it when they choose).
    typealias Scheduler = @Sendable (_ delay: Duration, _ work: @escaping @Sendable () -> Void) -> Void

    // The connection and the figures are only touched on `queue`.
    private let queue = DispatchQueue(label: "walletbridge.sqlite-checkpoint")
    private var database: SQLiteDatabase?
    private var runs = 0
    private var lastReport: Report?
    private let interval: Duration
    private let schedule: Scheduler
    /// A checkpoint is scheduled and has not started: later commits need not schedule another.
    private let scheduled = Atomic<Bool>(false)

    /// `PRAGMA wal_checkpoint`'s answer: frames in the log, and how many of them are now in the database file.
    struct Report: Equatable {
        let logFrames: Int64
        let checkpointedFrames: Int64
    }

    /// The writer's automatic checkpoint threshold, in log pages, while this runs (SQLite's default is 1,000).
    static let backstopPages = 10_000

    /// Opens a connection to `path` (an existing WAL database); checkpoints run `interval` after commits, through
    /// `schedule` (by default a Dispatch timer).
    init(path: String, interval: Duration, schedule: Scheduler? = nil) throws(ApprovalError) {
        database = try SQLiteDatabase(path: path, createIfMissing: false)
        self.interval = interval
        self.schedule = schedule ?? { delay, work in
            let milliseconds = Int(max(0, delay.wholeMilliseconds))
            DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + .milliseconds(milliseconds), execute: work)
        }
    }

    /// A commit has just made the log longer: a checkpoint follows `interval` from now, unless one is already waiting
    /// (then that one copies this commit's pages too). One atomic exchange for every commit but the one that schedules.
    func noteCommit() {
        guard !scheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        schedule(interval) { [weak self] in
            guard let self else { return }
            // Cleared first: a commit made while this one copies schedules the next.
            scheduled.store(false, ordering: .releasing)
            queue.async { self.checkpoint() }
        }
    }

    /// One passive checkpoint, run on `queue`. Failures are left for the next one: until a checkpoint succeeds, the log
    /// only grows, and every commit in it is durable either way.
    private func checkpoint() {
        guard let database else { return }
        runs += 1
        let report = try? database.queryFirst("PRAGMA wal_checkpoint(PASSIVE)") { row throws(ApprovalError) in
            Report(logFrames: try row.int64(1), checkpointedFrames: try row.int64(2))
        }
        if let report { lastReport = report }
    }

    /// How many checkpoints have run, and what the last successful one reported, once any in progress is done (tests).
    var checkpoints: (runs: Int, last: Report?) {
        queue.sync { (runs, lastReport) }
    }

    /// Closes the connection, waiting for a checkpoint in progress; a checkpoint scheduled for later does nothing.
    func close() {
        queue.sync {
            database?.close()
            database = nil
        }
    }
}
