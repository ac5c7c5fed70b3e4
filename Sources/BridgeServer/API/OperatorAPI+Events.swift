import BridgeApprovals
import BridgeCore

extension OperatorAPI {
    /// The console's live channel and the admins' views of the audit chain and pending proposals, each behind a
    /// bearer session.
    var consoleEndpoints: [Endpoint] {
        [
            Endpoint("GET", prefix + "/events") { request, _ in self.answer { () throws(ApprovalError) in
                try self.events(request) } },
            Endpoint("GET", prefix + "/audit") { request, _ in self.answer { () throws(ApprovalError) in
                try self.auditTail(request, operator: try self.signedIn(request)) } },
            Endpoint("GET", prefix + "/policy/proposals") { request, _ in self.answer { () throws(ApprovalError) in
                try self.policyProposals(operator: try self.signedIn(request)) } },
        ]
    }

    /// `GET /operator/events`: Server-Sent Events from the audit chain (``OperatorEventFeed``). The token comes in
    /// the `Authorization` header, never in the URL (URLs end up in logs), so the console reads the stream with
    /// `fetch`; `Last-Event-ID` (or `?last_event_id=`) replays what a reconnecting client missed.
    func events(_ request: HTTPRequest) throws(ApprovalError) -> HTTPResponse {
        guard let feed = eventFeed else { throw .notFound("the event stream is not served here") }
        let token = try Self.bearerToken(request)
        let record = try service.authenticate(token: token, clientIP: request.clientAddress)
        let lastEventID = try (request.header("last-event-id") ?? request.query["last_event_id"]).map {
            (text: String) throws(ApprovalError) -> Int64 in
            guard let value = Int64(text), value >= 0 else {
                throw .invalidRequest("Last-Event-ID must be an event id this stream sent (a non-negative integer), not \"\(text)\"")
            }
            return value
        }
        let stream = HTTPBodyStream()
        try feed.subscribe(stream, operator: record, token: token, clientIP: request.clientAddress, lastEventID: lastEventID)
        var response = HTTPResponse.streaming(stream, contentType: "text/event-stream; charset=utf-8")
        // No caching, and no buffering by a reverse proxy (nginx honours X-Accel-Buffering).
        response.headers += [("Cache-Control", "no-store"), ("X-Accel-Buffering", "no")]
        return response
    }

    /// `GET /operator/audit?after=N&limit=M` (admins) -> `{"events":[{sequence,time,actor,kind,payload,hash}]}`,
    /// oldest first; without `after`, the newest `limit` (default 50, at most 500).
    func auditTail(_ request: HTTPRequest, operator signedIn: Operator) throws(ApprovalError) -> HTTPResponse {
        guard signedIn.role == .admin else {
            throw .forbidden("\(signedIn.name) is an \(signedIn.role.rawValue); only admins read the audit log")
        }
        let limit = try Self.boundedInteger(request.query["limit"], name: "limit", default: 50, range: 1...500)
        let after: Int64
        if let text = request.query["after"] {
            after = Int64(try Self.boundedInteger(text, name: "after", default: 0, range: 0...Int(Int64.max)))
        } else {
            after = max(0, try service.lastAuditSequence() - Int64(limit))
        }
        let events = try service.auditEvents(after: after, limit: limit).map { event -> JSONValue in
            [
                "sequence": .number(JSONNumber(event.sequence)), "time": .string(event.time.rfc3339),
                "actor": .string(event.actor), "kind": .string(event.kind), "payload": event.payload,
                "hash": .string(Hex.encodePrefixed(event.hash)),
            ]
        }
        return .json(["events": .array(events)])
    }

    /// `GET /operator/policy/proposals` -> `{"proposals":[...]}`: the versions still collecting admins' approvals,
    /// each as ``policyVersionJSON(_:)`` with `proposed_by`, `approved_by` and its `policy`.
    func policyProposals(operator signedIn: Operator) throws(ApprovalError) -> HTTPResponse {
        var proposals: [JSONValue] = []
        for details in try service.policyVersions() where details.status == .proposed {
            var object = Self.policyVersionJSON(details)
            object["proposed_by"] = details.proposedBy.map(JSONValue.string) ?? .null
            object["approved_by"] = .array(details.approvedBy.map(JSONValue.string))
            object["policy"] = try details.version.policyValue()
            proposals.append(.object(object))
        }
        return .json(["proposals": .array(proposals)])
    }

    /// A query integer within `range`; `invalid_request` otherwise.
    static func boundedInteger(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>)
        throws(ApprovalError) -> Int
    {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw .invalidRequest("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
        }
        return number
    }
}
