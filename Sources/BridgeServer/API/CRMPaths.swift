/// Where the CRM's External Wallet API lives (CONTRACT 2.1). Every path is configurable: the transfer and order paths
/// are reconstructed (the CRM's page for them is not public), so a deployment can follow whatever the CRM really calls.
public struct CRMPaths: Sendable, Equatable {
    /// `POST`: list wallets.
    public var wallets: String
    /// `GET`: one wallet by user and currency.
    public var getOne: String
    /// `PATCH`: apply a transfer.
    public var balance: String
    /// `GET`: an order's status.
    public var order: String

    public init(wallets: String = "/wallets", getOne: String = "/wallets/getOne", balance: String = "/wallets/balance",
                order: String = "/wallets/order") {
        self.wallets = wallets
        self.getOne = getOne
        self.balance = balance
        self.order = order
    }

    /// The four paths, for checks such as "no two the same".
    public var all: [String] { [wallets, getOne, balance, order] }
}
