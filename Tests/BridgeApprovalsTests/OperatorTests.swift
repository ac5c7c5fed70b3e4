import BridgeApprovals
import BridgeCore
import BridgeCrypto
import Testing

@Suite("Operators: invites, device-signed enrolment, revocation")
struct OperatorTests {
    let harness: Harness
    let key: PrivateKey
    let address: String
    let path = "m/44'/60'/1'/0/0"

    init() throws {
        harness = try Harness()
        key = try Harness.key(5)
        address = Harness.address(key).checksummed
    }

    func enroll(_ name: String, invite: String, key: PrivateKey? = nil, address: String? = nil) throws -> Operator {
        let address = address ?? self.address
        let document = try harness.service.enrollmentDocument(name: name, invite: invite, address: address, path: path)
        return try harness.service.enroll(name: name, invite: invite, address: address, path: path,
                                          signature: try Harness.sign(document, with: key ?? self.key))
    }

    @Test func enrolmentStoresTheAddressAndPublicKeyOnly() throws {
        let invite = try harness.service.createInvite(role: .admin, actor: "admin:root")
        #expect(invite.count == 32)
        let record = try enroll("bob", invite: invite)
        #expect(record.name == "bob")
        #expect(record.role == .admin)
        #expect(record.address.checksummed == address)
        #expect(record.publicKey == key.publicKey.compressed)
        #expect(record.path == path)
        #expect(record.status == .active)
        #expect(try harness.service.operators() == [record])
        // The invite code itself is nowhere in the audit log, only its hash.
        let events = try harness.auditEvents()
        #expect(events.map(\.kind) == ["invite.created", "operator.enrolled"])
        #expect(!events.contains { $0.payload.serialized().contains(invite) })
        #expect(events[0].payload["code_sha256"] == .string(Hex.encode(Hash.sha256(Array(invite.utf8)))))
        #expect(events[1].actor == "operator:\(record.id)")
    }

    @Test func theEnrollmentDocumentIsWhatTheDeviceShows() throws {
        let document = try harness.service.enrollmentDocument(name: "bob", invite: "code", address: address.lowercased(), path: path)
        #expect(document["primaryType"] == "Enrollment")
        #expect(document["message"]?.objectValue == [
            "name": "bob", "invite": "code", "address": .string(address), "path": .string(path),
        ])
        #expect(approvalError { _ = try harness.service.enrollmentDocument(name: "bob", invite: "c", address: "0x12", path: path) }?
            .type == "invalid_request")
        #expect(approvalError { _ = try harness.service.enrollmentDocument(name: "", invite: "c", address: address, path: path) }
            == .invalidRequest("the operator name is empty"))
    }

    @Test func anInviteWorksOnce() throws {
        let invite = try harness.service.createInvite(role: .approver, actor: "admin:root")
        _ = try enroll("bob", invite: invite)
        let failure = approvalError { _ = try enroll("carol", invite: invite, key: try Harness.key(6),
                                                     address: Harness.address(try Harness.key(6)).checksummed) }
        #expect(failure == .inviteInvalid("the invite was already used"))
        #expect(try harness.service.operators().count == 1)
    }

    @Test func anInviteExpires() throws {
        let invite = try harness.service.createInvite(role: .approver, actor: "admin:root")
        harness.clock.advance(by: .seconds(24 * 3600))
        let failure = approvalError { _ = try enroll("bob", invite: invite) }
        #expect(failure?.type == "expired")
        #expect(try harness.service.operators().isEmpty)
    }

    @Test func anInviteIsValidJustBeforeItExpires() throws {
        let invite = try harness.service.createInvite(role: .approver, actor: "admin:root")
        harness.clock.advance(by: .seconds(24 * 3600 - 1))
        #expect(try enroll("bob", invite: invite).name == "bob")
    }

    @Test func anUnknownInviteIsRefused() {
        #expect(approvalError { _ = try enroll("bob", invite: "not-an-invite") } == .inviteInvalid("unknown invite code"))
    }

    @Test func theSignatureMustComeFromTheEnrolledAddress() throws {
        let invite = try harness.service.createInvite(role: .approver, actor: "admin:root")
        let failure = approvalError { _ = try enroll("bob", invite: invite, key: try Harness.key(6)) }
        #expect(failure == .invalidSignature("the Enrollment signature does not recover to \(address)"))
        // The invite was not consumed by the failed attempt.
        #expect(try enroll("bob", invite: invite).name == "bob")
    }

    @Test func namesAndAddressesAreUnique() throws {
        _ = try enroll("bob", invite: try harness.service.createInvite(role: .approver, actor: "admin:root"))
        let otherKey = try Harness.key(6)
        let sameName = approvalError {
            _ = try enroll("bob", invite: try harness.service.createInvite(role: .approver, actor: "admin:root"),
                           key: otherKey, address: Harness.address(otherKey).checksummed)
        }
        #expect(sameName == .invalidRequest("an operator named bob already exists"))
        let sameAddress = approvalError {
            _ = try enroll("carol", invite: try harness.service.createInvite(role: .approver, actor: "admin:root"))
        }
        #expect(sameAddress == .invalidRequest("\(address) is already enrolled"))
    }

    @Test func revocationIsAuditedAndASecondOneIsAConflict() throws {
        let record = try enroll("bob", invite: try harness.service.createInvite(role: .approver, actor: "admin:root"))
        harness.clock.advance(by: .seconds(10))
        let outcome = try harness.service.revokeOperator(id: record.id, actor: "admin:root")
        #expect(outcome.revokedOperator.status == .revoked)
        #expect(outcome.revokedOperator.revokedAt == harness.clock.now())
        let events = try harness.auditEvents().count
        let again = approvalError { try harness.service.revokeOperator(id: record.id, actor: "admin:root") }
        #expect(again == .conflict("operator bob was already revoked at \(harness.clock.now().rfc3339)"))
        #expect(again?.code == .conflict)
        #expect(again?.code.rawValue == -23)
        #expect(try harness.auditEvents().count == events)
        #expect(try harness.auditEvents().last?.actor == "admin:root")
        let unknown = approvalError { try harness.service.revokeOperator(id: "op-none", actor: "admin:root") }
        #expect(unknown == .notFound("operator op-none"))
        #expect(unknown?.httpStatus == 404)
        #expect(try harness.service.operators().map(\.status) == [.revoked])
    }
}
