"""The deployed contract versions, frozen: (name, version) -> code hash (hex).

A version in this table runs on a chain: transactions and governance schedules name it
by this hash, so its rules never change again (tests/test_code_identity.py fails, naming
the contract, if a registered version's hash differs from its entry here). Rules change
by adding a module with a new version beside the old one, which governance activates
from a height; once that version is released, add its line here. A registered version
that is not in the table yet is one being developed.

`python -m contracts.deployed` prints the table of the versions this release registers,
to paste here when a version is released.
"""

from __future__ import annotations

DEPLOYED: dict[tuple[str, int], str] = {
    ("acquisition", 1): "46aa64eb03bd92c488b5471dc3319199e3a5d9b20f8d64fe6d38024d319a11f6",
    ("document", 2): "b8e545da83823f5597646490ac55d3e2047dbd5ea2339672315d9b8bbd09fee8",
    ("extension", 1): "f3a427d3001606cc5b3ba52c1421e3292e27cba05f2f9de10bc791a92b8ea521",
    ("fees", 1): "1007a90fef3f88c6519121d65f4bf57133a110806d34f898fc34c7b7bf1b8adc",
    ("governance", 1): "508ed27120d15a09583ed60394d9ae9e650a1feee319ccf2e1b79a70cfbd274a",
    ("issuance", 1): "507cbae66b6fdb367d1f9ff2346ae30774cff199b52ae2ae800848685541af0d",
    ("membership", 1): "8032c9739efe7c78d282567d94962edfa7c5d4f19e3f589b0ecc26ba035b51c6",
    ("obligation", 1): "e6b6c648bb09246605e7e5677d658a7042ec1273a6ce92324bd3718ab4a9b10f",
    ("payment", 1): "d655f3e0f56dbf2a0cda4702e2dd58ae5454030d176852fd561797ca553eae57",
    ("pledge", 1): "4ca79dd50c99abdac00ddbc8390bd97803aa1adb3cb681209a043e57b99fcd13",
    ("redemption", 1): "a6bcf3418cc96e57092a2cd58aaa8dca5c39a07a8f136d9b88136a4f1747ceeb",
    ("setoff", 1): "d91afd956b6b311a8b2e4578ee3be68f08eb79490eab1d6a57ba4bdc3891c45f",
    ("transfer", 1): "0a90429787fbcc11a39ceb183d598f31c58f146e799421210a23ecad4b9336fa",
}


def table_source() -> str:
    """The `DEPLOYED` table of every version `default_registry()` runs, as source."""
    from contracts.contract import default_registry

    registry = default_registry()
    lines = [f'    ("{name}", {version}): "{registry.by_key[(name, version)].code_hash.hex()}",'
             for name, version in sorted(registry.by_key)]
    return "DEPLOYED: dict[tuple[str, int], str] = {\n" + "\n".join(lines) + "\n}\n"


if __name__ == "__main__":
    print(table_source(), end="")
