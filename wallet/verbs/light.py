"""The light client's verbs: trust a genesis block id once, then verify vouchers against
headers the wallet checked itself (wallet/light.py, wallet/proven.py)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from contracts.blocks import block_id
from contracts.errors import LedgerError
from wallet.checks import follower, trust_option, trust_path
from wallet.i18n import _, pgettext
from wallet.light import Follower, read_light, start, write_light
from wallet.proven import VoucherProof, proof_view, prove_voucher
from wallet.session import Wallet, pass_wallet
from wallet.units import hex32, show_due, yuan
from wallet.verbs.options import voucher_id

# The family's verbs, gathered here; wallet.cli adds each to its `main` group.
verbs = click.Group()


@verbs.command()
@click.argument("genesis_id")
@trust_option
@click.option("--replace", is_flag=True,
              help="trust this id even though the file trusts another network's")
@pass_wallet
def trust(w: Wallet, genesis_id: str, trust_file: Path | None, replace: bool) -> None:
    """Trust the network whose genesis block id is GENESIS_ID (read it from your own copy
    of the network: `claimledger-node genesis-id --network genesis.json`), then follow and
    verify its headers up to the node's head."""
    wanted = hex32(genesis_id, "a genesis block id")
    path = trust_path(w, trust_file)
    light = read_light(path)
    if light is not None and light.genesis_id != wanted and not replace:
        raise LedgerError("wallet.trusts_another", f"{path} trusts genesis "
                          f"{light.genesis_id.hex()}; give --replace to trust {genesis_id}")
    if light is None or light.genesis_id != wanted:
        light = start(w.ledger, wanted)
        write_light(path, light)
    f = Follower(w.ledger, path, light)
    trusted = f.advance_to(w.ledger.status()["height"])
    view = {"trust_file": str(path), "genesis_id": wanted.hex(), "chain_id": trusted.chain_id,
            "height": trusted.height, "block_id": block_id(trusted.header).hex(),
            "headers_checked": f.checked}
    w.emit(view, lambda c: c.print(
        _("trusting genesis {genesis} ({chain}); headers verified up to height {height} "
          "(block {block}), {checked} new; kept in {path}").format(
            genesis=wanted.hex(), chain=trusted.chain_id, height=trusted.height,
            block=view["block_id"], checked=f.checked, path=path),
        markup=False, soft_wrap=True))


def show_proof(c: Console, p: VoucherProof) -> None:
    c.print(_("voucher {voucher} proven at height {height} against block {block} (state "
              "root {root}; {checked} new headers checked)").format(
        voucher=p.voucher_id.hex(), height=p.height, block=p.block_id.hex(),
        root=p.state_root.hex(), checked=p.headers_checked), markup=False, soft_wrap=True)
    v = p.voucher
    if v is None:
        c.print(_("  absent: no such voucher state"), markup=False)
        return
    c.print(_("  status    {status}").format(status=_(v.status))
            + ("" if v.status == "active" else
               _(" (ended by {by})").format(by=(v.ended_by or b"").hex())),
            markup=False, soft_wrap=True)
    c.print(_("  holder    {who}").format(who=v.holder.hex()), markup=False)
    c.print(_("  amount    {amount}, due by {due}").format(
        amount=yuan(v.amount_fen), due=show_due(v.due_ms)), markup=False)
    c.print(_("  debtor    {who}").format(who=v.debtor.hex()), markup=False)
    for label, found, line in (
            ("pledge", p.pledge, lambda r: _("{status}, bank {bank}, secures {secured} "
                                             "(registration {number})").format(
                status=_(r.status), bank=r.bank.hex(), secured=yuan(r.secured_fen),
                number=r.registration_no)),
            ("reserved", p.reservation, lambda r: _("by redemption request, {status}, price "
                                                    "{price}").format(
                status=pgettext("redemption", r.status), price=yuan(r.price_fen))),
            ("record", p.debtor_record, lambda r: _("debtor owes {outstanding} outstanding; "
                                                    "{overdue} overdue, {late} late "
                                                    "confirmations, {extended} extended").format(
                outstanding=yuan(r.outstanding_fen), overdue=r.overdue_vouchers,
                late=r.late_confirmations, extended=r.extended_vouchers))):
        if found is None:
            kind = {"pledge": "pledge", "reserved": "redemption",
                    "record": "debtor_record"}[label]
            text = _("not readable by you (named by the proven voucher)") \
                if kind in p.unreadable else _("none")
        elif found.record is None:
            text = _("{id} proven absent").format(id=found.id.hex())
        else:
            text = f"{found.id.hex()}: {line(found.record)}"
        c.print(f"  {_(label):<9} {text}", markup=False, soft_wrap=True)


@verbs.command()
@click.argument("voucher")
@trust_option
@pass_wallet
def verify(w: Wallet, voucher: str, trust_file: Path | None) -> None:
    """Prove VOUCHER at the latest certified height: its holder, amount, status and due
    date, its pledge, the redemption request reserving it, and its debtor's record, each
    against the state root of a header this wallet verified from the genesis. Exit 0 when
    every proof holds (a voucher absent, consumed or cancelled is reported so, proven);
    3 with the proof.* code when one does not."""
    proof = prove_voucher(w.ledger, follower(w, trust_file), voucher_id(w, voucher))
    w.emit(proof_view(proof), lambda c: show_proof(c, proof))
