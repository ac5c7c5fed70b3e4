import BridgeCore
import FoundationEssentials

/// The operator API of CONTRACT 2.2, as the operator CLI calls it: every endpoint one method, JSON in and out.
///
/// The client never builds what gets signed: the service sends the EIP-712 documents (built from its stored data) and
/// the device signs them as received, so the CLI cannot change what counts.
public struct OperatorAPIClient: Sendable {
    /// The service's base URL, e.g. `http://127.0.0.1:8080` (a path prefix is kept).
    public let server: URL
    let transport: any OperatorHTTPTransport

    /// - Parameter server: `http://` or `https://` URL of the service; anything else is a bad argument (-10).
    public init(server: String, transport: any OperatorHTTPTransport) throws(GenericBridgeError) {
        var text = server
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host?.isEmpty == false, url.query == nil
        else {
            throw GenericBridgeError(.badArgument, "--server '\(server)' is not an http:// or https:// URL",
                                     hint: "Give the service's address, e.g. --server http://127.0.0.1:8080.")
        }
        self.server = url
        self.transport = transport
    }

    /// The server as the token cache keys it: scheme, host, port and path, lowercased where case does not matter.
    public var serverIdentity: String {
        let scheme = server.scheme?.lowercased() ?? "http"
        let port = server.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(server.host?.lowercased() ?? ""):\(port)\(server.path)"
    }

    // MARK: Enrolment and sign-in

    /// `POST /operator/enrollment`: the EIP-712 `Enrollment` document the new operator's device signs.
    public func enrollmentDocument(name: String, invite: String, address: String, path: String) async throws -> JSONValue {
        try await call("POST", "/operator/enrollment", body: [
            "name": .string(name), "invite": .string(invite), "address": .string(address), "path": .string(path),
        ])
    }

    /// `POST /operator/enroll`: redeems the invite with the device's signature; answers the enrolled operator.
    public func enroll(name: String, invite: String, address: String, path: String, signature: String) async throws
        -> JSONValue
    {
        try await call("POST", "/operator/enroll", body: [
            "name": .string(name), "invite": .string(invite), "address": .string(address), "path": .string(path),
            "signature": .string(signature),
        ])
    }

    /// `POST /operator/challenge`: a single-use login challenge, `{nonce, typedData}`.
    public func challenge(address: String) async throws -> (nonce: String, typedData: JSONValue) {
        let answer = try await call("POST", "/operator/challenge", body: ["address": .string(address)])
        guard let nonce = answer["nonce"]?.stringValue, let typedData = answer["typedData"], typedData.objectValue != nil
        else { throw malformed("POST /operator/challenge", expected: "{nonce, typedData}") }
        return (nonce, typedData)
    }

    /// `POST /operator/session`: the signed challenge for a bearer token, `{token, expires_at, operator}`.
    public func session(nonce: String, signature: String) async throws -> (token: String, expiresAt: String?, answer: JSONValue) {
        let answer = try await call("POST", "/operator/session", body: ["nonce": .string(nonce), "signature": .string(signature)])
        guard let token = answer["token"]?.stringValue, !token.isEmpty else {
            throw malformed("POST /operator/session", expected: "{token, expires_at, operator}")
        }
        return (token, answer["expires_at"]?.stringValue, answer)
    }

    // MARK: Transfers (bearer token)

    /// `GET /operator/transfers?status=pending`.
    public func pendingTransfers(token: String) async throws -> JSONValue {
        try await call("GET", "/operator/transfers", query: [("status", "pending")], token: token)
    }

    /// `GET /operator/transfers/{id}/approval`: the `TransferApproval` document, or with `rejectionReason` the
    /// `TransferRejection` carrying it.
    public func approvalDocument(orderID: String, rejectionReason: String? = nil, token: String) async throws -> JSONValue {
        let query: [(String, String)] = rejectionReason.map { [("decision", "reject"), ("reason", $0)] } ?? []
        return try await call("GET", "/operator/transfers/\(try Self.pathSegment(orderID))/approval", query: query,
                              token: token)
    }

    /// `POST /operator/transfers/{id}/approve` with the device's signature; answers the order's new state.
    public func approve(orderID: String, signature: String, token: String) async throws -> JSONValue {
        try await call("POST", "/operator/transfers/\(try Self.pathSegment(orderID))/approve",
                       body: ["signature": .string(signature)], token: token)
    }

    /// `POST /operator/transfers/{id}/reject` with the device's signature over the rejection and its reason.
    public func reject(orderID: String, signature: String, reason: String, token: String) async throws -> JSONValue {
        try await call("POST", "/operator/transfers/\(try Self.pathSegment(orderID))/reject",
                       body: ["signature": .string(signature), "reason": .string(reason)], token: token)
    }

    // MARK: Plumbing

    /// One request: JSON body out, JSON answer back; a non-2xx answer throws ``OperatorAPIError``.
    func call(_ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil,
              token: String? = nil) async throws -> JSONValue {
        let url = try url(path: path, query: query)
        var headers = ["Accept": "application/json"]
        if body != nil { headers["Content-Type"] = "application/json" }
        if let token { headers["Authorization"] = "Bearer \(token)" }
        let request = "\(method) \(path)"
        let response = try await transport.send(method: method, url: url, headers: headers,
                                                body: body.map { Array($0.serialized().utf8) })
        guard (200..<300).contains(response.status) else {
            throw OperatorAPIError.from(status: response.status, body: response.body, request: request)
        }
        do {
            return try JSONValue(parsing: response.body)
        } catch {
            throw GenericBridgeError(.protocolError, "\(request) answered HTTP \(response.status) with invalid JSON: \(error.message)",
                                     hint: "Check that --server points at the WalletBridge service.")
        }
    }

    /// The endpoint's URL under ``server``, query values percent-encoded.
    func url(path: String, query: [(String, String)]) throws(GenericBridgeError) -> URL {
        guard var components = URLComponents(url: server, resolvingAgainstBaseURL: false) else {
            throw GenericBridgeError(.badArgument, "--server '\(server.absoluteString)' is not a usable URL")
        }
        components.percentEncodedPath = components.percentEncodedPath + path
        if !query.isEmpty {
            // URLComponents leaves "+" alone, which servers read as a space: encode it (and "&", "=") ourselves.
            components.percentEncodedQuery = query.map { name, value in
                "\(name)=\(Self.percentEncoded(value, keeping: Self.queryValueCharacters))"
            }.joined(separator: "&")
        }
        guard let url = components.url else {
            throw GenericBridgeError(.badArgument, "Cannot build a URL for \(path) under \(server.absoluteString)")
        }
        return url
    }

    /// An order id as one path segment: percent-encoded, so `/` or `?` in the CRM's id cannot change the route.
    static func pathSegment(_ value: String) throws(GenericBridgeError) -> String {
        guard !value.isEmpty else {
            throw GenericBridgeError(.badArgument, "The order id '\(value)' cannot be used in a URL")
        }
        return percentEncoded(value, keeping: pathSegmentCharacters)
    }

    /// What a query value keeps as is: Foundation's `urlQueryAllowed` without `+&=;` (a server reads `+` as a space).
    static let queryValueCharacters = Set("!$'()*,-./:?@_~".utf8)
    /// What a path segment keeps as is: Foundation's `urlPathAllowed` without `/?#;`.
    static let pathSegmentCharacters = Set("!$&'()*+,-.:=@_~".utf8)

    /// `value`'s UTF-8 with every byte but ASCII letters, digits and `keeping` written `%XX` (RFC 3986, 2.1).
    static func percentEncoded(_ value: String, keeping: Set<UInt8>) -> String {
        var encoded = ""
        for byte in value.utf8 {
            let isAlphanumeric = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            if isAlphanumeric || keeping.contains(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + Hex.padded(byte, digits: 2).uppercased()
            }
        }
        return encoded
    }

    func malformed(_ request: String, expected: String) -> GenericBridgeError {
        GenericBridgeError(.protocolError, "\(request) answered without the expected \(expected)",
                           hint: "Check that --server points at a WalletBridge service of the same version as this CLI.")
    }
}
