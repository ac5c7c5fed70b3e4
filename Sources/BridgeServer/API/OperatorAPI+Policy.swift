import BridgeApprovals
import BridgeCore

extension OperatorAPI {
    /// The policy routes, each behind a bearer session (CONTRACT 5, `operator policy`).
    var policyEndpoints: [Endpoint] {
        [
            Endpoint("GET", prefix + "/policy") { request, _ in self.answer { () throws(ApprovalError) in
                try self.currentPolicy(operator: try self.signedIn(request)) } },
            Endpoint("POST", prefix + "/policy/proposals") { request, _ in self.answer { () throws(ApprovalError) in
                try self.proposePolicy(request, operator: try self.signedIn(request)) } },
            Endpoint("GET", prefix + "/policy/{version}") { request, parameters in
                self.answer { () throws(ApprovalError) in
                    try self.policyVersion(parameters["version"] ?? "", operator: try self.signedIn(request))
                }
            },
            Endpoint("POST", prefix + "/policy/{version}/approve") { request, parameters in
                self.answer { () throws(ApprovalError) in
                    try self.approvePolicy(request, version: parameters["version"] ?? "", operator: try self.signedIn(request))
                }
            },
        ]
    }

    /// `GET /operator/policy` -> `{"version","hash","policy","approved_by","effective_at"}` of the version in force;
    /// a version seeded from the configuration also carries its `note`.
    func currentPolicy(operator: Operator) throws(ApprovalError) -> HTTPResponse {
        let current = try service.effectivePolicy()
        var object: JSONObject = [
            "version": .number(JSONNumber(current.version.version)),
            "hash": .string(Hex.encodePrefixed(current.version.hash)),
            "policy": try current.version.policyValue(),
            "approved_by": .array(current.approvedBy.map(JSONValue.string)),
            "effective_at": current.version.effectiveAt.map { .string($0.rfc3339) } ?? .null,
        ]
        if let note = current.version.note { object["note"] = .string(note) }
        return .json(.object(object))
    }

    /// `POST /operator/policy/proposals` `{"policy":{...}}` (admins) -> `{"version","hash","document"}`: the stored
    /// proposal and the EIP-712 `PolicyChange` to sign (the proposer's signature counts as an approval).
    func proposePolicy(_ request: HTTPRequest, operator: Operator) throws(ApprovalError) -> HTTPResponse {
        let fields = try Self.fields(request)
        guard let policy = fields.object["policy"], policy.objectValue != nil else {
            throw .invalidRequest("policy is missing: the policy set as an object ({\"default\": ..., \"rules\": [...]})")
        }
        let proposal = try service.proposePolicy(policy, proposerID: `operator`.id)
        return .json([
            "version": .number(JSONNumber(proposal.version.version)),
            "hash": .string(Hex.encodePrefixed(proposal.version.hash)),
            "document": proposal.document ?? .null,
        ])
    }

    /// `GET /operator/policy/{version}` -> the version as ``policyVersionJSON(_:)`` shows it, with its `policy`,
    /// `document` (null for a seeded version), `approved_by`, `proposed_by`, `created_at` and `effective_at`.
    func policyVersion(_ text: String, operator: Operator) throws(ApprovalError) -> HTTPResponse {
        let details = try service.policyVersion(try Self.versionNumber(text))
        var object = Self.policyVersionJSON(details)
        object["policy"] = try details.version.policyValue()
        object["document"] = details.document ?? .null
        object["approved_by"] = .array(details.approvedBy.map(JSONValue.string))
        object["proposed_by"] = details.proposedBy.map(JSONValue.string) ?? .null
        object["created_at"] = .string(details.version.createdAt.rfc3339)
        object["effective_at"] = details.version.effectiveAt.map { .string($0.rfc3339) } ?? .null
        if let note = details.version.note { object["note"] = .string(note) }
        return .json(.object(object))
    }

    /// `POST /operator/policy/{version}/approve` `{"signature"}` -> ``policyVersionJSON(_:)`` after the vote. The
    /// signature must be the signed-in admin's over the version's `PolicyChange` as stored.
    func approvePolicy(_ request: HTTPRequest, version text: String, operator: Operator) throws(ApprovalError)
        -> HTTPResponse
    {
        let version = try Self.versionNumber(text)
        let signature = try Self.fields(request).requiredHex("signature")
        let details = try service.approvePolicy(version: version, signature: signature, sessionOperatorID: `operator`.id)
        return .json(.object(Self.policyVersionJSON(details)))
    }

    /// `{"version","hash","approvals","approvals_required","expires_at","status"}`: what `operator policy propose`
    /// and `approve` print.
    static func policyVersionJSON(_ details: PolicyVersionDetails) -> JSONObject {
        [
            "version": .number(JSONNumber(details.version.version)),
            "hash": .string(Hex.encodePrefixed(details.version.hash)),
            "approvals": .number(JSONNumber(details.approvals)),
            "approvals_required": .number(JSONNumber(details.approvalsRequired)),
            "expires_at": details.version.expiresAt.map { .string($0.rfc3339) } ?? .null,
            "status": .string(details.status.rawValue),
        ]
    }

    /// A version number from the path: `invalid_request` unless it is a positive decimal integer.
    static func versionNumber(_ text: String) throws(ApprovalError) -> Int {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let version = Int(text), version >= 1
        else {
            throw .invalidRequest("the policy version must be a positive integer, not \"\(text)\"")
        }
        return version
    }
}
