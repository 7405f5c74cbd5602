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
    ("acquisition", 1): "a76b56b0a7cd158bc4c86197b1c4bc59a8a0b10a67afb931c0a6f176b3cc6fdc",
    ("fees", 1): "a77c59f9d8293a85f850f7f0b79d70b3e5cb323ce40d88c51d4db5cb66da014e",
    ("governance", 1): "044209f990563346f828c7c046cd59b96a699be453beccec2c107a8e7c30920d",
    ("nodes", 1): "7bfb0fa77adf483fdd47ebe0f6e8e2ed02fff86f4557cd9925a6bf3e27c88159",
    ("payment", 1): "9fb024b3c93d93db6128e9329e90abdc7597fc3a51dc85e2e7ebed5b0d2d0ab9",
    ("setoff", 1): "f9c82d6e962f93c7b12f3dc89eb3c08692fa4de572afe54cb030579af0215424",
    ("transfer", 1): "b2966c216f9f8d6e4f0264470302d0eca5695eab9f8c02d74527a9a2b65ea6ec",
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
