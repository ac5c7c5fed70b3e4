import Foundation
import WalletBridgeCLI

exit(await WalletBridgeCLI.run(Array(CommandLine.arguments.dropFirst()), io: .standard))
