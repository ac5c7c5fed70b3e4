/// The coins WalletBridge handles.
public enum Coin: String, Sendable, CaseIterable {
    case eth, btc
}
