"""The node process: storage, mempool, block production and execution, HTTP API."""
