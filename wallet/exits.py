"""The wallet's exit statuses, so that a script tells what happened without reading text.

| status | meaning |
|---|---|
| 0 | done: the transaction committed (or the draft, the answer, was written) |
| 1 | refused or failed: the ledger's or the wallet's error, its code printed |
| 2 | usage: a missing or malformed option or argument (click's own status) |
| 3 | a proof did not verify (proof.*: the light client refused the node's answer) |
| 4 | pending: submitted, but not committed within the wait; check it later |

With --json every error is also printed on stdout as {"error": {"code", "message"}}
(a pending one with the transaction's "id" and the "check" command), while stderr
keeps the line `error: code: message`.
"""

from __future__ import annotations

from contracts.errors import LedgerError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2  # click.UsageError's exit_code
EXIT_PROOF_FAILED = 3
EXIT_PENDING = 4

HELP_EPILOG = """\b
Exit status:
  0  done
  1  refused or failed: the error's code is printed (with --json also on stdout,
     as {"error": {"code", "message"}})
  2  usage: a missing or malformed option or argument
  3  a proof did not verify
  4  pending: submitted, not committed within --wait; check it with `tx show ID`"""


class Pending(LedgerError):
    """A transaction submitted but not committed within the wait (`wallet.pending`): it
    may still commit, or expire at its expiry height; `tx show ID` tells later."""

    def __init__(self, tx_id: str, waited_s: float) -> None:
        super().__init__("wallet.pending",
                         f"transaction {tx_id} was submitted but not committed within "
                         f"{waited_s:g} s; it may still commit: check it with "
                         f"`claimledger-wallet tx show {tx_id}`")
        self.tx_id = tx_id

    @property
    def check(self) -> str:
        return f"claimledger-wallet tx show {self.tx_id}"
