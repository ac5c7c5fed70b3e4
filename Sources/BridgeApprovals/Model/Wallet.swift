/// A balance the service keeps: an external user's wallet in one currency, or the CRM's settlement account for a
/// currency, the other side of every transfer (double entry: per currency the balances always sum to the same).
public struct Wallet: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable {
        /// An external user's wallet; never negative.
        case external
        /// The CRM side of a currency (`crm:USD`); it may go negative, as the CRM's own books are the limit there.
        case settlement
    }

    /// Whether the CRM can still use it. A closed wallet keeps its rows and history but is no longer listed or found.
    public enum Status: String, Sendable, Codable {
        case open, closed
    }

    /// "Unique Wallet ID in your system" (the CRM's `id`).
    public let id: String
    public let kind: Kind
    /// The CRM's user id; empty for settlement accounts.
    public let externalUserID: String
    public let currency: String
    /// Minor units.
    public var balance: Int128
    /// Minor units reserved by debits waiting for approval; never above the balance for external wallets.
    public var held: Int128
    public let createdAt: Timestamp
    public var status: Status
    public var closedAt: Timestamp?

    public init(id: String, kind: Kind = .external, externalUserID: String, currency: String, balance: Int128 = 0,
                held: Int128 = 0, createdAt: Timestamp, status: Status = .open, closedAt: Timestamp? = nil) {
        self.status = status
        self.closedAt = closedAt
        self.id = id
        self.kind = kind
        self.externalUserID = externalUserID
        self.currency = currency
        self.balance = balance
        self.held = held
        self.createdAt = createdAt
    }

    /// What a new debit may take: the balance less what pending debits hold.
    public var available: Int128 { balance - held }

    /// The settlement account's id for a currency.
    public static func settlementID(currency: String) -> String { "crm:\(currency)" }
}
