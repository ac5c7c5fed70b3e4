import BridgeCore
import BridgePostgres
import Foundation
import ProcessTestSupport
import Testing

extension PostgresTests {
    /// Several real `walletbridge serve` processes on one PostgreSQL database (CONTRACT 9): every guarantee of the
    /// CRM API, the operator API and the webhooks holds across them, and the cluster survives an instance killed
    /// with SIGKILL and a database restart. The tests run one after another: each starts two or three services,
    /// and the machine has two cores.
    @Suite("cluster: several serve processes on one database", .serialized)
    struct ClusterTests {
        /// Three `serve --demo` started at the same moment on an empty database: each becomes ready and prints the
        /// same API key; the schema was migrated once and the demo seeded once (no doubled wallets or operators).
        @Test func threeInstancesStartTogetherOnOneEmptyDatabase() async throws {
            try await Cluster.run { cluster in
                let instances = try await cluster.startDemo(["a", "b", "c"])
                #expect(Set(instances.map(\.crm.apiKey)).count == 1)
                for instance in instances {
                    let ready = try cluster.readyLine(instance)
                    #expect(ready["database"]?.stringValue == cluster.database)
                    #expect(ready["apiKey"]?.stringValue?.hasPrefix("demo_") == true)
                    let health = try await LoopbackHTTP.send("GET", instance.url + "/health")
                    #expect(health.status == 200, "\(instance.name): \(health.text)")
                    #expect(try await instance.balance("demo-alice") == 500_000)
                    #expect(try await instance.balance("demo-bob") == 25_000)
                }
                let migrations = PostgresApprovalStore.migrations.count
                #expect(try await cluster.sql("SELECT count(*), count(DISTINCT version) FROM schema_migrations")
                    == [["\(migrations)", "\(migrations)"]])
                #expect(try await cluster.sql("""
                    SELECT external_user_id, currency, balance FROM wallets WHERE kind = 'external'
                    ORDER BY external_user_id, currency
                    """) == [["demo-alice", "BTC", "250000000"], ["demo-alice", "USD", "500000"],
                             ["demo-bob", "BTC", "5000000"], ["demo-bob", "USD", "25000"]])
                #expect(try await cluster.sql("SELECT name, role, status FROM operators ORDER BY name")
                    == [["alice", "admin", "active"], ["bob", "approver", "active"]])
                #expect(try await cluster.sqlInteger("SELECT count(*) FROM audit_events WHERE kind = 'operator.enrolled'") == 2)
                #expect(try await cluster.sqlInteger("SELECT count(*) FROM policy_versions") == 1)
                #expect(try await cluster.sqlInteger("SELECT count(*) FROM metadata WHERE key = 'demo.api_key'") == 1)
                let audit = try await cluster.auditVerify()
                #expect(audit.succeeded && audit.json?["ok"] == .bool(true), "\(audit.summary)")
            }
        }

        /// One order id with the same content sent 30 times at once, spread over three instances (a CRM retrying
        /// through a load balancer): every answer is the same status and body, the balance moves once, one order
        /// and one `order.received` exist; other content under that id is 409 `duplicate_order` at any instance.
        @Test func oneOrderIDSentToThreeInstancesAtOnceAppliesOnce() async throws {
            try await Cluster.run { cluster in
                let instances = try await cluster.startDemo(["a", "b", "c"])
                let before = try await instances[0].balance("demo-alice")
                let orderID = "cluster-retried-0001"
                let replies = try await withThrowingTaskGroup(of: HTTPReply.self) { group in
                    for index in 0..<30 {
                        group.addTask {
                            try await instances[index % 3].crm.transfer(user: "demo-alice", currency: "USD", amount: "-12.34",
                                                                        orderID: orderID)
                        }
                    }
                    return try await group.reduce(into: [HTTPReply]()) { $0.append($1) }
                }
                #expect(replies.count == 30)
                let distinct = Set(replies.map { "\($0.status) \($0.text)" })
                #expect(distinct.count == 1, "different answers: \(distinct)")
                let answer = try #require(replies.first)
                #expect(answer.status == 200, "\(answer.text)")
                let json = try answer.json()
                #expect(json["order_id"]?.stringValue == orderID)
                #expect(json["status"]?.stringValue == "completed")
                #expect(json["wallet"]?["amount"]?.numberValue.flatMap { Money.cents($0.text) } == before - 1_234)
                for instance in instances {
                    #expect(try await instance.balance("demo-alice") == before - 1_234, "\(instance.name)")
                }
                #expect(try await cluster.sqlInteger("SELECT count(*) FROM orders WHERE order_id = $1", [orderID]) == 1)
                #expect(try await cluster.sqlInteger("""
                    SELECT count(*) FROM audit_events WHERE kind = 'order.received' AND payload::jsonb->>'order_id' = $1
                    """, [orderID]) == 1)

                let other = try await instances[2].crm.transfer(user: "demo-alice", currency: "USD", amount: "-12.35",
                                                               orderID: orderID)
                #expect(other.status == 409 && other.text.contains("duplicate_order"), "\(other.status) \(other.text)")
                #expect(try await instances[1].balance("demo-alice") == before - 1_234)
                let audit = try await cluster.auditVerify()
                #expect(audit.succeeded, "\(audit.summary)")
            }
        }

        /// A large debit posted to A, approved by alice through B and by bob through C: completed once, and every
        /// instance's CRM view says so with both approvals; a late third vote is a conflict; the money moved once.
        @Test func aLargeOrderApprovedThroughTwoOtherInstancesCompletesOnce() async throws {
            try await Cluster.run { cluster in
                let instances = try await cluster.startDemo(["a", "b", "c"])
                let (a, b, c) = (instances[0], instances[1], instances[2])
                let before = try await a.balance("demo-alice")
                let orderID = "cluster-large-0001"
                let posted = try await a.crm.transfer(user: "demo-alice", currency: "USD", amount: "-1500.00", orderID: orderID)
                #expect(posted.status == 202, "\(posted.text)")
                #expect(try posted.json()["status"]?.stringValue == "pending_approval")
                #expect(try posted.json()["approvals_required"] == 2)

                let first = try await cluster.asOperator(.alice, ["approve", orderID], server: b)
                #expect(first.succeeded, "\(first.summary)")
                #expect(first.json?["status"]?.stringValue == "pending_approval", "\(first.summary)")
                let halfway = try await c.crm.orderStatus(orderID)
                #expect(halfway["status"]?.stringValue == "pending_approval")
                #expect(halfway["approvals"]?.arrayValue?.compactMap { $0["operator"]?.stringValue } == ["alice"])
                #expect(try await c.balance("demo-alice") == before)

                let second = try await cluster.asOperator(.bob, ["approve", orderID], server: c)
                #expect(second.succeeded, "\(second.summary)")
                #expect(second.json?["status"]?.stringValue == "completed", "\(second.summary)")

                for instance in instances {
                    let status = try await instance.crm.orderStatus(orderID)
                    #expect(status["status"]?.stringValue == "completed", "\(instance.name): \(status.serialized())")
                    let approvals = status["approvals"]?.arrayValue ?? []
                    #expect(approvals.compactMap { $0["operator"]?.stringValue }.sorted() == ["alice", "bob"],
                            "\(instance.name): \(status.serialized())")
                    #expect(approvals.allSatisfy { $0["decision"]?.stringValue == "approve" })
                    #expect(try await instance.balance("demo-alice") == before - 150_000, "\(instance.name)")
                }
                let late = try await cluster.asOperator(.alice, ["approve", orderID], server: a)
                #expect(!late.succeeded && late.errorCode == -23, "\(late.summary)")
                #expect(try await cluster.sqlInteger("""
                    SELECT count(*) FROM audit_events WHERE kind = 'order.completed' AND payload::jsonb->>'order_id' = $1
                    """, [orderID]) == 1)
                #expect(try await cluster.sql("SELECT held FROM wallets WHERE external_user_id = 'demo-alice' AND currency = 'USD'")
                    == [["0"]])
                #expect(try await b.balance("demo-alice") == before - 150_000)
                let audit = try await cluster.auditVerify()
                #expect(audit.succeeded, "\(audit.summary)")
            }
        }

        /// A revocation and a policy change made through one place hold at every instance at once: bob's session,
        /// made at C and good at B, answers -21 at B and C right after `admin operator revoke`, and his approval of a
        /// pending order stops counting; alice (the only admin, so her signature alone makes it effective) makes
        /// "above 100 USD needs approval" the policy through A, and C holds a 500 USD transfer it applied just
        /// before.
        @Test func revocationAndPolicyChangesHoldOnEveryInstanceAtOnce() async throws {
            try await Cluster.run { cluster in
                let instances = try await cluster.startDemo(["a", "b", "c"])
                let (a, b, c) = (instances[0], instances[1], instances[2])

                // bob signs in at C (the CLI caches the token) and approves a pending order there.
                let large = try await a.crm.transfer(user: "demo-alice", currency: "USD", amount: "-2000", orderID: "cluster-held-0001")
                #expect(large.status == 202, "\(large.text)")
                let vote = try await cluster.asOperator(.bob, ["approve", "cluster-held-0001"], server: c)
                #expect(vote.succeeded, "\(vote.summary)")
                let pending = try await cluster.asOperator(.bob, ["pending"], server: c)
                #expect(pending.succeeded, "\(pending.summary)")
                let token = try cluster.cachedToken(.bob, server: c)
                let bearer = [("Authorization", "Bearer \(token)")]
                let elsewhere = try await LoopbackHTTP.send("GET", b.url + "/operator/transfers?status=pending", headers: bearer)
                #expect(elsewhere.status == 200, "a session is the cluster's: \(elsewhere.text)")

                let revoke = try await cluster.walletbridge([
                    "admin", "operator", "revoke", "bob", "--reason", "cluster test: laptop lost", "--db", cluster.database,
                ])
                #expect(revoke.succeeded, "\(revoke.summary)")
                #expect(revoke.json == ["name": "bob", "status": "revoked"], "\(revoke.summary)")
                for instance in [b, c] {
                    let refused = try await LoopbackHTTP.send("GET", instance.url + "/operator/transfers?status=pending",
                                                              headers: bearer)
                    #expect(refused.status == 401, "\(instance.name): \(refused.status) \(refused.text)")
                    #expect(try refused.json()["code"] == -21, "\(instance.name): \(refused.text)")
                }
                let cached = try await cluster.asOperator(.bob, ["pending"], server: c)
                #expect(!cached.succeeded && cached.errorCode == -21, "\(cached.summary)")
                let fresh = try await cluster.asOperator(.bob, ["pending"], server: b)
                #expect(!fresh.succeeded && fresh.errorCode == -21, "a revoked operator cannot sign in again: \(fresh.summary)")
                let held = try await a.crm.orderStatus("cluster-held-0001")
                #expect(held["status"]?.stringValue == "pending_approval", "\(held.serialized())")
                #expect(held["approvals_counted"] == 0, "bob's approval stopped counting: \(held.serialized())")

                // Before the change a 500 USD debit applies at C; after it, the same at C waits for approvals.
                let before = try await c.crm.transfer(user: "demo-alice", currency: "USD", amount: "-500", orderID: "cluster-policy-0001")
                #expect(before.status == 200, "\(before.text)")
                let policy = try cluster.write("policy-above-100.json", """
                    {"default":"allow","rules":[{"name":"above-100-usd","when":{"amountAbove":{"USD":"100"}},\
                    "then":{"require":{"approvals":2,"roles":["approver","admin"]}}}]}
                    """)
                let proposed = try await cluster.asOperator(.alice, ["policy", "propose", "--file", policy.path], server: a)
                #expect(proposed.succeeded, "\(proposed.summary)")
                #expect(proposed.json?["status"]?.stringValue == "effective", "\(proposed.summary)")
                #expect(proposed.json?["approvals_required"] == 1, "capped at the one active admin: \(proposed.summary)")
                let version = try #require(proposed.json?["version"], "\(proposed.summary)")

                let after = try await c.crm.transfer(user: "demo-alice", currency: "USD", amount: "-500", orderID: "cluster-policy-0002")
                #expect(after.status == 202, "\(after.text)")
                #expect(try after.json()["status"]?.stringValue == "pending_approval", "\(after.text)")
                let small = try await b.crm.transfer(user: "demo-alice", currency: "USD", amount: "-50", orderID: "cluster-policy-0003")
                #expect(small.status == 200, "\(small.text)")
                let status = try await b.crm.orderStatus("cluster-policy-0002")
                #expect(status["policy_version"] == version, "\(status.serialized())")
                let shown = try await cluster.asOperator(.alice, ["policy", "show"], server: c)
                #expect(shown.json?["version"] == version, "\(shown.summary)")
                let audit = try await cluster.auditVerify()
                #expect(audit.succeeded, "\(audit.summary)")
            }
        }
    }
}
