import BridgeApprovals
import BridgeCore

/// The operator API (CONTRACT 2.2), never for the CRM: device-signed enrolment and sign-in, then, with
/// `Authorization: Bearer <token>`, the pending transfers, the EIP-712 documents to sign, and the signed decisions.
///
/// Errors are the contract's `{"error","code","hint"}` with the HTTP status of the session manager's refusal
/// (`session_invalid` 401, `order_not_found` 404, replayed signatures 409, ...).
public struct OperatorAPI: Sendable {
    public let service: ApprovalService
    /// The prefix every route lives under.
    public let prefix: String
    /// Login challenges per client address (`operator.challengesPerMinutePerIP`): a challenge needs no
    /// authentication and writes a row, so it is rationed. Nil: unlimited (tests of other routes).
    public let challengeLimiter: RateLimiter?
    /// The live channel behind `GET /operator/events`; nil: not served (404).
    public let eventFeed: OperatorEventFeed?

    public init(service: ApprovalService, prefix: String = "/operator", challengeLimiter: RateLimiter? = nil,
                eventFeed: OperatorEventFeed? = nil) {
        self.service = service
        self.prefix = prefix
        self.challengeLimiter = challengeLimiter
        self.eventFeed = eventFeed
    }

    public var endpoints: [Endpoint] {
        lifecycleEndpoints + [
            Endpoint("POST", prefix + "/challenge") { request, _ in
                if case .limited(let wait) = self.challengeLimiter?.acquire(request.clientAddress) {
                    return Self.tooManyRequests("more than \(self.challengeLimiter?.perMinute ?? 0) login challenges a "
                        + "minute from \(request.clientAddress)", retryAfter: wait)
                }
                return self.answer { () throws(ApprovalError) in try self.challenge(request) }
            },
            Endpoint("POST", prefix + "/session") { request, _ in self.answer { () throws(ApprovalError) in
                try self.session(request) } },
            Endpoint("POST", prefix + "/enrollment") { request, _ in self.answer { () throws(ApprovalError) in
                try self.enrollmentDocument(request) } },
            Endpoint("POST", prefix + "/enroll") { request, _ in self.answer { () throws(ApprovalError) in
                try self.enroll(request) } },
            Endpoint("GET", prefix + "/transfers") { request, _ in self.answer { () throws(ApprovalError) in
                try self.transfers(request, operator: try self.signedIn(request)) } },
            Endpoint("GET", prefix + "/transfers/{order_id}/approval") { request, parameters in
                self.answer { () throws(ApprovalError) in
                    try self.approvalDocument(request, orderID: parameters["order_id"] ?? "",
                                              operator: try self.signedIn(request))
                }
            },
            Endpoint("POST", prefix + "/transfers/{order_id}/approve") { request, parameters in
                self.answer { () throws(ApprovalError) in
                    try self.decide(.approve, request, orderID: parameters["order_id"] ?? "",
                                    operator: try self.signedIn(request))
                }
            },
            Endpoint("POST", prefix + "/transfers/{order_id}/reject") { request, parameters in
                self.answer { () throws(ApprovalError) in
                    try self.decide(.reject, request, orderID: parameters["order_id"] ?? "",
                                    operator: try self.signedIn(request))
                }
            },
        ] + policyEndpoints + consoleEndpoints
    }

    /// Renders a refusal as `{"error","code","hint"}` with its HTTP status.
    func answer(_ body: () throws(ApprovalError) -> HTTPResponse) -> HTTPResponse {
        do {
            return try body()
        } catch {
            var response = HTTPResponse.json(error.jsonObject, status: error.httpStatus)
            if error.httpStatus == 503 { response.headers.append(("Retry-After", "1")) }
            return response
        }
    }

    /// 429 `too_many_requests` with `Retry-After` in whole seconds, rounded up.
    static func tooManyRequests(_ why: String, retryAfter: Duration) -> HTTPResponse {
        let error = ApprovalError.rateLimited(why)
        var response = HTTPResponse.json(error.jsonObject, status: error.httpStatus)
        let seconds = max(1, (retryAfter.wholeMilliseconds + 999) / 1000)
        response.headers.append(("Retry-After", String(seconds)))
        return response
    }

    /// The operator behind `Authorization: Bearer <token>`; `session_invalid` without one or for a bad one.
    func signedIn(_ request: HTTPRequest) throws(ApprovalError) -> Operator {
        try service.authenticate(token: try Self.bearerToken(request), clientIP: request.clientAddress)
    }

    /// The token of `Authorization: Bearer <token>`; `session_invalid` without one.
    static func bearerToken(_ request: HTTPRequest) throws(ApprovalError) -> String {
        guard let authorization = request.header("authorization") else {
            throw .sessionInvalid("no Authorization: Bearer <token> header")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .sessionInvalid("the Authorization header is not \"Bearer <token>\"")
        }
        return String(parts[1]).trimmingHeaderWhitespace
    }

    /// The body as a JSON object; anything else is `invalid_request`.
    static func fields(_ request: HTTPRequest) throws(ApprovalError) -> RequestFields {
        do {
            return try RequestFields.parse(request.body)
        } catch {
            switch error {
            case .invalidJSON(let why), .notAnObject(let why): throw .invalidRequest(why)
            }
        }
    }
}

fileprivate extension String {
    /// Without leading and trailing spaces and tabs (header values).
    var trimmingHeaderWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
