import BridgeApprovals
import BridgeCore
import BridgeCrypto

extension CRMAPI {
    /// Checks, in this order: the caller's address (403), the `key` header (401), the body's JSON (400), and the
    /// `signature` header over the PARSED body (401). Returns the body's fields (empty for GET routes).
    ///
    /// The key is checked before the body is parsed, so strangers learn nothing about what a valid body looks like.
    func authenticate(_ request: HTTPRequest, hasBody: Bool) throws(CRMError) -> RequestFields {
        if let allowList, !allowList.contains(request.clientAddress) {
            throw .ipNotAllowed(request.clientAddress)
        }
        guard let key = request.header("key"), SecureBytes.matchesSecret(key, apiKeyBytes) else {
            throw .keyInvalid
        }
        guard hasBody else { return RequestFields(object: JSONObject()) }

        let fields: RequestFields
        do {
            fields = try RequestFields.parse(request.body)
        } catch {
            switch error {
            case .invalidJSON(let why): throw .invalidJSON(why)
            case .notAnObject(let why): throw CRMError(.invalidRequest(why))
            }
        }
        guard let signature = request.header("signature"),
              CRMRequestSignature.isValid(signature, for: fields.object, apiKey: apiKey) else {
            throw .signatureInvalid
        }
        return fields
    }
}
