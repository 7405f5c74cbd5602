"""The wallet: key stores and the `claimledger-wallet` command line members sign with."""
