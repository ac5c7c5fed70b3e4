/// A balance the service keeps: an external user's wallet in one currency, or the CRM's settlement account for a
/// currency, the other side of every transfer (double entry: per currency the balances always sum to the same).
public struct Wallet: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable {
        /// An external user's wallet; never negative.
        case external
        /// The CRM side of a currency (`crm:USD`); it may go negative, as the CRM's own books are the limit there.
        case settlement
    }

    /// "Unique Wallet ID in your system" (the CRM's `id`).
    public let id: String
    public let kind: Kind
    /// The CRM's user id; empty for settlement accounts.
    public let externalUserID: String
    public let currency: String
    /// Minor units.
    public var balance: Int64
    /// Minor units reserved by debits waiting for approval; never above the balance for external wallets.
    public var held: Int64
    public let createdAt: Timestamp

    public init(id: String, kind: Kind = .external, externalUserID: String, currency: String, balance: Int64 = 0,
                held: Int64 = 0, createdAt: Timestamp) {
        self.id = id
        self.kind = kind
        self.externalUserID = externalUserID
        self.currency = currency
        self.balance = balance
        self.held = held
        self.createdAt = createdAt
    }

    /// What a new debit may take: the balance less what pending debits hold.
    public var available: Int64 { balance - held }

    /// The settlement account's id for a currency.
    public static func settlementID(currency: String) -> String { "crm:\(currency)" }
}
