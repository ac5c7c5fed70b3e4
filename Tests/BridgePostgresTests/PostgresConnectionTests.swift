import BridgePostgres
import Foundation
import Synchronization
import Testing

extension PostgresTests {
    /// The libpq wrapper: text parameters and NULLs, SQLSTATEs, the prepared statement cache, a lost connection and
    /// its reset, and secrets kept out of messages.
    @Suite("libpq connection")
    struct ConnectionTests {
        @Test func parametersAndResultsTravelAsText() async throws {
            let connection = try PostgresConnection(conninfo: try await PostgresTests.database())
            defer { connection.close() }
            let result = try connection.query(
                "SELECT $1::text AS word, $2::text IS NULL AS missing, $3::numeric(39,0) AS money, $4::bytea AS bytes, $5::text AS empty",
                ["héllo 'quoted' \"double\" \\ back", nil, "-170141183460469231731687303715884105728", "\\x00ff10", ""]
            )
            #expect(result.columns == ["word", "missing", "money", "bytes", "empty"])
            #expect(result.rows == [["héllo 'quoted' \"double\" \\ back", "t", "-170141183460469231731687303715884105728", "\\x00ff10", ""]])
            let null = try connection.query("SELECT NULL::text")
            #expect(null.rows == [[nil]])
            try connection.execute("CREATE TABLE t (id integer PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b')")
            #expect(try connection.query("UPDATE t SET v = $1", ["c"]).affectedRows == 2)
            #expect(try connection.query("SELECT v FROM t WHERE id = $1", ["3"]).rows.isEmpty)
        }

        @Test func failuresCarryTheirSQLState() async throws {
            let connection = try PostgresConnection(conninfo: try await PostgresTests.database())
            defer { connection.close() }
            #expect(throws: PostgresError.self) { try connection.query("SELECT 1/0") }
            do {
                _ = try connection.query("SELECT 1/0")
            } catch {
                #expect(error.sqlState == "22012")
                #expect(error.message == "division by zero")
                #expect(!error.connectionBroken)
            }
            try connection.execute("CREATE TABLE t (id integer CONSTRAINT t_pkey PRIMARY KEY)")
            _ = try connection.queryPrepared("INSERT INTO t VALUES ($1)", ["1"])
            do {
                _ = try connection.queryPrepared("INSERT INTO t VALUES ($1)", ["1"])
                Issue.record("a duplicate key was accepted")
            } catch {
                #expect(error.sqlState == PostgresError.uniqueViolation)
                #expect(error.constraint == "t_pkey")
                #expect(error.detail == "Key (id)=(1) already exists.")
                #expect(error.description.contains("SQLSTATE 23505"))
            }
            // The session is usable after an error outside a transaction.
            #expect(try connection.query("SELECT 2").rows == [["2"]])
            #expect(!connection.isConnectionBroken)
            // A NUL would cut the C string short and store a truncated value: refused before sending.
            #expect(throws: PostgresError.self) { try connection.query("SELECT $1::text", ["a\u{0}b"]) }
        }

        @Test func preparedStatementsAreCachedBySQL() async throws {
            let connection = try PostgresConnection(conninfo: try await PostgresTests.database())
            defer { connection.close() }
            for number in 1...3 {
                #expect(try connection.queryPrepared("SELECT $1::int + 1", [String(number)]).rows == [[String(number + 1)]])
            }
            #expect(connection.preparedStatementCount == 1)
            _ = try connection.queryPrepared("SELECT $1::int * 2", ["2"])
            #expect(connection.preparedStatementCount == 2)
            let prepared = try connection.query("SELECT count(*) FROM pg_prepared_statements")
            #expect(prepared.rows == [["2"]])
        }

        @Test func aLostConnectionIsReportedAndReset() async throws {
            let url = try await PostgresTests.database()
            let connection = try PostgresConnection(conninfo: url)
            let killer = try PostgresConnection(conninfo: url)
            defer {
                connection.close()
                killer.close()
            }
            _ = try connection.queryPrepared("SELECT $1::int", ["1"])
            let oldPID = connection.backendPID
            #expect(try killer.query("SELECT pg_terminate_backend($1)", [String(oldPID)]).rows == [["t"]])
            do {
                _ = try connection.queryPrepared("SELECT $1::int", ["1"])
                Issue.record("a terminated session answered")
            } catch {
                #expect(error.connectionBroken)
            }
            #expect(connection.isConnectionBroken)
            try connection.reset()
            #expect(!connection.isConnectionBroken)
            #expect(connection.backendPID != oldPID)
            #expect(connection.preparedStatementCount == 0)
            #expect(try connection.queryPrepared("SELECT $1::int", ["5"]).rows == [["5"]])
        }

        @Test func thePasswordNeverAppearsInMessages() async throws {
            let secret = "s3cret-Pa55word"
            // Nothing listens on port 1: libpq's message names the host and port, never the password.
            do {
                _ = try PostgresConnection(conninfo: "postgresql://walletbridge:\(secret)@127.0.0.1:1/books?connect_timeout=2")
                Issue.record("connected to port 1")
            } catch {
                #expect(error.connectionBroken)
                #expect(!error.description.contains(secret))
                #expect(error.description.contains("127.0.0.1"))
            }
            // A string libpq cannot parse: its message would quote fragments, so it is withheld.
            do {
                _ = try PostgresConnection(conninfo: "host=127.0.0.1 password=\(secret) nonsense")
                Issue.record("an unparsable string connected")
            } catch {
                #expect(!error.description.contains(secret))
            }
            #expect(PostgresConnection.redactedName(of: "postgresql://walletbridge:\(secret)@db.internal:5433/books")
                == "postgresql://walletbridge@db.internal:5433/books")
            #expect(PostgresConnection.redactedName(of: "host=db.internal dbname=books password=\(secret)") == "postgresql://db.internal/books")
            #expect(PostgresConnection.redactedName(of: "books") == "postgresql:///books")
            // Trust authentication ignores the password, so this connects; its name still leaves the password out.
            let url = try await PostgresTests.database()
            let withPassword = url.replacingOccurrences(of: "postgres@", with: "postgres:\(secret)@")
            let connection = try PostgresConnection(conninfo: withPassword)
            defer { connection.close() }
            #expect(!connection.databaseName.contains(secret))
            do {
                _ = try connection.query("SELECT $1::int", ["\(secret)"])
            } catch {
                // The server quotes the bad value; the connection masks what it knows to be the password.
                #expect(!error.description.contains(secret))
                #expect(error.sqlState == "22P02")
            }
        }

        @Test func thePoolLendsEachConnectionToOneThreadAndResetsLostOnes() async throws {
            let url = try await PostgresTests.database()
            let pool = PostgresConnectionPool(conninfo: url, limit: 2)
            defer { pool.close() }
            let first = try pool.borrow()
            let firstPID = first.backendPID
            // A thread holding a connection gets a second one at once, even at the limit (no self-deadlock).
            let nested = try pool.borrow()
            let third = try pool.borrow()
            #expect(pool.openConnectionCount == 3)
            pool.giveBack(third)
            pool.giveBack(nested)
            #expect(pool.openConnectionCount == 2)
            // A connection left in a transaction comes back rolled back.
            try first.execute("BEGIN")
            pool.giveBack(first)
            let again = try pool.borrow()
            #expect(again.transactionState == .idle)
            #expect(again.backendPID == firstPID || again.backendPID == nested.backendPID)

            // A lost connection is reset by its next borrower.
            let killer = try PostgresConnection(conninfo: url)
            defer { killer.close() }
            _ = try killer.query("SELECT pg_terminate_backend($1)", [String(again.backendPID)])
            #expect(throws: PostgresError.self) { try again.query("SELECT 1") }
            pool.giveBack(again)
            let borrowed = Mutex<[Result<Int32, PostgresError>]>([])
            // Two threads at the limit of two: each gets a working connection (the lost one reset).
            await onThread {
                for _ in 0..<2 {
                    Thread {
                        let outcome = Result { () throws(PostgresError) -> Int32 in
                            let connection = try pool.borrow()
                            defer { pool.giveBack(connection) }
                            _ = try connection.query("SELECT pg_sleep(0.05)")
                            return connection.backendPID
                        }
                        borrowed.withLock { $0.append(outcome) }
                    }.start()
                }
                while borrowed.withLock({ $0.count }) < 2 { usleep(10_000) }
            }
            let pids = try borrowed.withLock { $0 }.map { try $0.get() }
            #expect(Set(pids).count == 2)
            #expect(pool.openConnectionCount == 2)
        }
    }
}
