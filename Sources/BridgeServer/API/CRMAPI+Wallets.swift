import BridgeApprovals
import BridgeCore

extension CRMAPI {
    /// `POST /wallets` `{"skip","limit","external_user_id"?:[...]}` -> `{"data":[wallet...],"count"}`, in id order;
    /// `count` is the total that matches the filter. An absent, null or empty `external_user_id` lists every wallet;
    /// an id with a comma in the list is `invalid_request`.
    func listWallets(_ request: HTTPRequest, _ fields: RequestFields) throws(CRMError) -> HTTPResponse {
        do throws(ApprovalError) {
            let skip = try fields.requiredInteger("skip", in: 0...Self.maximumSkip)
            let limit = try fields.requiredInteger("limit", in: 0...Self.maximumLimit)
            let users = try fields.optionalStringArray("external_user_id", maximumCount: Int(Self.maximumLimit))
            // The CRM signs an array as JavaScript joins it, "a,b": ["a,b"] would sign like ["a","b"] (CONTRACT 4).
            if let withComma = users?.first(where: { $0.contains(",") }) {
                throw ApprovalError.invalidRequest("external_user_id \"\(withComma)\" contains a comma, which the "
                    + "request's signature cannot tell apart from two ids")
            }
            let page = try service.wallets(externalUserIDs: users?.isEmpty == false ? users : nil,
                                           skip: Int(skip), limit: Int(limit))
            return .json([
                "data": .array(page.wallets.map { walletJSON($0) }),
                "count": .number(JSONNumber(page.total)),
            ])
        } catch {
            throw CRMError(error)
        }
    }

    /// `GET /wallets/getOne?external_user_id=&currency=` -> the wallet; 404 `wallet_not_found` when there is none.
    func getOneWallet(_ request: HTTPRequest, _ fields: RequestFields) throws(CRMError) -> HTTPResponse {
        do {
            let user = try request.query.requiredParameter("external_user_id")
            let currency = try request.query.requiredParameter("currency")
            let wallet = try service.wallet(externalUserID: user, currency: currency)
            return .json(serialized: wallet.crmJSONBytes(decimals: MoneyJSON.decimals(of: wallet.currency, in: service.configuration)))
        } catch {
            if case .accountNotFound(let user, let currency) = error {
                throw .walletNotFound(externalUserID: user, currency: currency)
            }
            throw CRMError(error)
        }
    }

    /// `{"id","external_user_id","amount","currency","decimals"}`; `amount` is the balance (a JSON number with the
    /// currency's decimals), or `balance` when given (a retried transfer answers with the balance it had then).
    func walletJSON(_ wallet: Wallet, balance: Int128? = nil) -> JSONValue {
        wallet.crmJSON(decimals: MoneyJSON.decimals(of: wallet.currency, in: service.configuration), balance: balance)
    }
}
