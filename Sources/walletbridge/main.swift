print("walletbridge: CLI arrives in this issue")
