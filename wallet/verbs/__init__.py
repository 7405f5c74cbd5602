"""The wallet's verbs, one module per family; each holds a `verbs` group whose commands
wallet.cli adds to its `main` group (FAMILIES there lists the modules)."""
