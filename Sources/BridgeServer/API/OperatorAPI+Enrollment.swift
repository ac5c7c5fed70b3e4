import BridgeApprovals
import BridgeCore

extension OperatorAPI {
    /// `POST /operator/enrollment` `{name, invite, address, path}` -> the EIP-712 `Enrollment` document to sign.
    /// Checks the fields only; the invite is checked when the signed enrolment arrives.
    func enrollmentDocument(_ request: HTTPRequest) throws(ApprovalError) -> HTTPResponse {
        let fields = try Self.fields(request)
        return .json(try service.enrollmentDocument(
            name: try fields.requiredString("name"), invite: try fields.requiredString("invite"),
            address: try fields.requiredString("address"), path: try fields.requiredString("path")))
    }

    /// `POST /operator/enroll` `{name, invite, address, path, signature}` -> the enrolled operator.
    func enroll(_ request: HTTPRequest) throws(ApprovalError) -> HTTPResponse {
        let fields = try Self.fields(request)
        let record = try service.enroll(
            name: try fields.requiredString("name"), invite: try fields.requiredString("invite"),
            address: try fields.requiredString("address"), path: try fields.requiredString("path"),
            signature: try fields.requiredHex("signature"))
        return .json(Self.operatorJSON(record))
    }
}
