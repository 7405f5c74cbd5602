"""The record schemas of the OpenAPI document (node/http/openapi/), derived from the
annotations the codec reads (contracts/codec.py) wherever an answer is a ledger record,
with what a view adds beside it; the rest (status, transactions, blocks, plans, the
explorer's overview) are views of the node's own and typed here."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from dataclasses import fields as dataclass_fields
from dataclasses import is_dataclass
from typing import Any

from contracts import (
    acquisition,
    credit,
    documents,
    evidence,
    fees,
    financing,
    issuance,
    membership,
    nodes,
    obligations,
    pledge,
    products,
    redemption,
    registry_query,
    sale,
    setoff,
    supervision,
    transfer,
    vouchers,
)
from contracts.blocks import Header
from contracts.codec import IntRange, OneOf, Size
from contracts.record_proofs import PROVABLE
from contracts.state_tree import PATH_BITS
from node.store import AddressedEvent

HEX32 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def enum(values: Iterable[str]) -> dict:
    """A string among `values` (sorted: the document is the same on every run)."""
    return {"type": "string", "enum": sorted(values)}


OBJECT = {"type": "object"}
INT = {"type": "integer"}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
NEXT = {"type": ["string", "null"],
        "description": "cursor of the next page (pass as `after`); null at the end"}
HEX32_OR_NULL = {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"}
HEX_OR_EMPTY32 = {"type": "string", "pattern": "^([0-9a-f]{64})?$"}
HEX_BYTES = {"type": "string", "pattern": "^([0-9a-f]{2})+$"}
INT_OR_NULL = {"type": ["integer", "null"]}


def ref(name: str) -> dict:
    """A reference to the record schema `name`."""
    return {"$ref": f"#/components/schemas/{name}"}


def record(required: list[str], **properties: dict) -> dict:
    """An object with these properties, the `required` ones always present."""
    return {"type": "object", "required": required, "properties": properties}


# ---------------------------------------------------------------- records, derived
# A record's schema is read from the annotations the codec reads (contracts/codec.py):
# its fields in order, every one required (to_json writes them all), bytes as lowercase
# hex of the stated size, integers within their range, a OneOf as an enum, `X | None` as
# X or null, a tuple as an array, a record the API names elsewhere as a reference.

NAMED_RECORDS: dict[type, str] = {}  # record type -> its name under components/schemas


def field_schema(hint: Any) -> dict:
    """The JSON schema of a value of one field annotation, as to_json writes it."""
    constraints: tuple = ()
    if typing.get_origin(hint) is typing.Annotated:
        hint, *extra = typing.get_args(hint)
        constraints = tuple(extra)

    def constraint(kind: type) -> Any:
        return next((c for c in constraints if isinstance(c, kind)), None)

    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        found = field_schema(inner)
        if "$ref" in found:
            return {"anyOf": [found, {"type": "null"}]}
        if "enum" in found:
            return {**found, "type": [found["type"], "null"], "enum": [*found["enum"], None]}
        return {**found, "type": [found["type"], "null"]}
    if typing.get_origin(hint) is tuple:
        (item, _) = typing.get_args(hint)
        return {"type": "array", "items": field_schema(item)}
    if hint is bool:
        return dict(BOOL)
    if hint is int:
        bounds = constraint(IntRange)
        return dict(INT) if bounds is None else \
            {**INT, "minimum": bounds.lo, "maximum": bounds.hi}
    if hint is bytes:
        size = constraint(Size)
        if size is not None and size.lo == size.hi == 32:
            return dict(HEX32)
        digits = "*" if size is None else f"{{{size.lo},{size.hi}}}"
        return {"type": "string", "pattern": f"^([0-9a-f]{{2}}){digits}$"}
    if hint is str:
        one_of = constraint(OneOf)
        return dict(STR) if one_of is None else enum(one_of.values)
    if isinstance(hint, type) and is_dataclass(hint):
        return ref(NAMED_RECORDS[hint]) if hint in NAMED_RECORDS else derived(hint)
    raise TypeError(f"no JSON schema for {hint!r}")


def derived(cls: type, notes: dict[str, str | dict] | None = None,
             required: Iterable[str] = (), **extra: dict) -> dict:
    """A record's schema from its dataclass fields, with `notes` on some fields (a
    description, or a schema to merge: a digest's meaning) and `extra` properties a view
    adds (`required` names those among them it always writes)."""
    hints = typing.get_type_hints(cls, include_extras=True)
    properties = {f.name: field_schema(hints[f.name]) for f in dataclass_fields(cls)}
    for name, note in (notes or {}).items():
        assert name in properties, f"{cls.__name__} has no field {name}"
        properties[name] = {**properties[name],
                            **({"description": note} if isinstance(note, str) else note)}
    assert not set(required) - set(extra)
    return record([*properties, *required], **properties, **extra)


def named(name: str, cls: type, notes: dict[str, str | dict] | None = None,
           required: Iterable[str] = (), **extra: dict) -> tuple[str, dict]:
    """A record named under components/schemas, so other records refer to it."""
    NAMED_RECORDS[cls] = name
    return name, derived(cls, notes, required, **extra)

# Under its v1 name: the wallet records a digest keyed by the creditor and the debtor.
BASIS_DIGEST = {**HEX32, "description": "the basis document's digest, keyed by the creditor "
                "and the debtor (only they can compute it; contracts.documents.basis_digest)"}

LIFECYCLE_SCHEMAS = dict([
    named("VoucherState", vouchers.Voucher, {"basis_sha256": BASIS_DIGEST}),
    named("Origin", vouchers.Origin),
    named("HolderTotals", vouchers.HolderTotals),
    named("DebtorRecord", vouchers.DebtorRecord, required=["average_confirmation_delay_ms"],
           average_confirmation_delay_ms={
               "type": ["integer", "null"],
               "description": "confirmation_delay_ms / confirmations rounded down; null "
               "before the first confirmation"}),
    named("Pledge", pledge.Pledge),
    named("PledgeNotice", pledge.Notice,
          notice={"const": True, "description": "in a list of pledges: the registry's "
                  "public notice of a pledge the caller is no party to (no loan)"}),
    ("PledgeCertificate", record(
        ["certificate", "answer", "signature"],
        certificate={**HEX_BYTES, "description": "the canonical bytes of the certificate "
                     "(contracts.registry_query.Certificate): what a verifier checks"},
        answer=derived(registry_query.Answer),
        signature={"type": "string", "pattern": "^[0-9a-f]{128}$",
                   "description": "the node key's Ed25519 signature over the domain tag "
                   "and the answer's canonical bytes"})),
    named("Commitment", acquisition.Commitment, required=["exercisable"],
           exercisable={"type": "boolean", "description": "open, lock ended and not expired "
                        "at the head's ledger time"}),
    named("Sale", acquisition.Sale, required=["tx_id"], tx_id=HEX32),
    named("OfferStock", redemption.Stock),
    named("Offer", redemption.Offer, required=["stock"], stock={
        "anyOf": [ref("OfferStock"), {"type": "null"}],
        "description": "an asset's title certificate number, a consumption offer's cap and "
        "how much of it redemptions used; null for an offer with neither"}),
    named("Redemption", redemption.Request),
    named("Transfer", transfer.PendingTransfer, {
        "voucher": "the reserved state the transferee receives whole when it signs",
        "moved": "the transferee's state, once it signed; null before"}),
    named("ProductTerms", products.Terms, {
        "recourse": "factoring: true with recourse to the seller (有追索权), false without "
                    "(无追索权); null for a pledge loan",
        "min_price_bp": "pledge_loan: annual interest rate; factoring: discount off the "
                        "claim's face amount (basis points)"}),
    named("Product", products.Product),
    named("FinancingRequest", financing.FinancingRequest),
    named("FinancingAnswer", financing.Answer, {
        "amount_fen": "a loan's principal; the face amount of claim a sale buys",
        "rate_bp": "a loan's annual interest rate; a sale's annual discount (basis points)"}),
    ("FinancingRequestAnswered", derived(
        financing.FinancingRequest, None, ["answers"],
        answers={"type": "array", "items": ref("FinancingAnswer"),
                 "description": "the answers the caller reads: the holder every one, a "
                 "funder its own"})),
    named("ClaimSale", sale.ClaimSale, {
        "sold": "the buyer's new voucher state (kind voucher) or obligation (kind "
                "obligation)",
        "price_fen": "face_fen discounted at rate_bp a year for days whole days, ACT/360, "
                     "the discount rounded down (contracts.pricing.discounted_fen)"}),
    named("FeeSchedule", fees.Schedule),
    named("Charge", fees.Charge, {"fee_fen": "for a payment: the amount paid"},
           required=["height", "cursor"], height=INT,
           cursor={"type": "string", "pattern": "^[0-9a-f]{80}$",
                   "description": "height (8 bytes big-endian) + transaction id"}),
    named("FeeAccount", fees.Account, required=["owed_fen", "charges", "next"],
           owed_fen=INT, charges={"type": "array", "items": ref("Charge")}, next=NEXT),
    named("Event", AddressedEvent, {"seq": "place among the block's events"},
           required=["cursor"],
           cursor={"type": "string", "pattern": "^[0-9a-f]{24}$",
                   "description": "height (8 bytes big-endian) + seq (4 bytes big-endian)"}),
])
LIFECYCLE_SCHEMAS.update({
    "Lineage": record(
        ["ancestors", "voucher", "descendants", "truncated"],
        ancestors={"type": "array", "items": ref("VoucherState"),
                   "description": "from the issued voucher down to the parent"},
        voucher=ref("VoucherState"),
        descendants={"type": "array", "items": ref("TreeNode")},
        truncated={"type": "boolean",
                   "description": "true when the tree (at most 10,000 nodes, 100 levels) "
                   "or the ancestors (at most 10,000) were cut"}),
    "TreeNode": record(
        ["voucher", "children"], voucher=ref("VoucherState"),
        children={"type": "array", "items": ref("TreeNode")},
        truncated={"type": "boolean", "description": "present when children were left out"}),
})
# Court freezes and disputes (contracts/supervision.py).
LIFECYCLE_SCHEMAS.update([
    named("FreezeOrder", supervision.FreezeOrder, {
        "voucher": "the frozen state (split off for a part); it keeps its id while frozen",
        "order_sha256": "the court order document's SHA-256"}),
    named("Dispute", supervision.Dispute, {
        "subject": "the application, the issued voucher (origin id) or the obligation",
        "parties": "who it concerns and reads it (creditor, debtor, holders of the "
                   "disputed voucher's parts when raised)"}),
])

SETOFF_SCHEMAS = dict([
    named("Obligation", obligations.Obligation, {
        "face_fen": "as submitted", "amount_fen": "what is still owed",
        "setoff_fen": "cleared by set-off rounds so far",
        "reduced_fen": "reduced by both parties so far", "basis_sha256": BASIS_DIGEST},
        required=["open_round"],
        open_round={**HEX32_OR_NULL, "description": "the open set-off round it is in"}),
    named("SetoffLeg", setoff.Leg, {
        "creditor": "the obligation's creditor or the voucher's holder",
        "amount_fen": "what the round clears of it"}),
])
SETOFF_SCHEMAS.update({
    "SetoffAsk": record(
        ["member", "cleared_of", "cleared_of_fen", "cleared_to", "cleared_to_fen"],
        member=HEX32,
        cleared_of={"type": "array", "items": ref("SetoffLeg"),
                    "description": "legs where the member is the debtor"},
        cleared_of_fen=INT,
        cleared_to={"type": "array", "items": ref("SetoffLeg"),
                    "description": "legs where the member is the creditor"},
        cleared_to_fen={"type": "integer", "description": "equal to cleared_of_fen: a round "
                        "leaves every net position as it was"}),
    "SetoffRound": derived(
        setoff.Round, {
            "note": "the refusal's reason or why execution failed",
            "cleared_fen": "the sum of the legs",
            "graph_total_fen": "all debt in the agency's graph when it proposed the round, "
            "as it stated"},
        required=["waiting_for", "remaining_fen", "bound_fen", "gap_fen", "asks"],
        waiting_for={"type": "array", "items": HEX32,
                     "description": "members that have not consented"},
        remaining_fen={"type": "integer", "description": "graph_total_fen - cleared_fen"},
        bound_fen={"type": "integer", "description": "the graph's net internal debt: no "
                   "set-off leaves less (= graph_bound_fen)"},
        gap_fen={"type": "integer", "description": "remaining_fen - bound_fen"},
        asks={"type": "array", "items": ref("SetoffAsk"),
              "description": "per member (or only the `member` asked about)"}),
    "SetoffPlanRound": record(
        ["reductions", "members", "cleared_fen"],
        reductions={"type": "array", "items": record(
            ["kind", "id", "amount_fen"], kind={"enum": ["obligation", "voucher"]}, id=HEX32,
            amount_fen=INT, debtor=HEX32, creditor=HEX32),
            "description": "sorted by (kind, id), as a propose transaction takes them"},
        members={"type": "array", "items": HEX32}, cleared_fen=INT),
    "SetoffPlan": record(
        ["height", "total_fen", "bound_fen", "cleared_fen", "remaining_fen", "rounds"],
        height={"type": "integer", "description": "the head the debts were read at"},
        block_id=HEX32, time_ms=INT, exclude={"type": "array", "items": HEX32},
        total_fen={"type": "integer", "description": "all debt that may be set off now"},
        bound_fen={"type": "integer", "description": "its net internal debt: what no "
                   "set-off can go below"},
        cleared_fen={"type": "integer", "description": "the optimum: the most that can be "
                     "cleared with every net position unchanged"},
        remaining_fen=INT, gap_fen={"type": "integer", "description": "remaining - bound"},
        in_rounds_fen={"type": "integer", "description": "what the rounds below clear"},
        bilateral_fen={"type": "integer", "description": "set-off between two members only, "
                       "left to them"},
        deferred_fen={"type": "integer", "description": "did not fit this plan's rounds"},
        debts=INT, members={"type": "integer", "description": "members on possible loops"},
        arcs={"type": "integer", "description": "(debtor, creditor) pairs on possible loops"},
        rounds={"type": "array", "items": ref("SetoffPlanRound")},
        run=ref("SetoffPlanRun"),
        run_batches={"type": "array", "description": "with run_batches=1 only: the run's "
                     "batches, each a list of [kind, id, amount_fen], as run_batch takes them",
                     "items": {"type": "array", "items": {"type": "array"}}},
        unmandated_fen={"type": "integer", "description": "the optimum less the run's "
                        "optimum: what needs members without a mandate"},
        rounds_optimum_fen={"type": "integer", "description": "the optimum of what the run "
                            "leaves: what the rounds below work on (propose them after the "
                            "run)"},
        seconds={"type": "object", "description": "collect, solve, run, rounds"}),
    "SetoffLimit": derived(setoff.Limit, {
        "max_fen_per_round": "null: no limit",
        # A member that never set a limit is answered with null here.
        "set_at_ms": {"type": ["integer", "null"], "description": "null: never set"}}),
    "SetoffTotals": derived(setoff.Totals, rounds_proposed=INT, runs=INT, run_batches=INT,
                             run_cleared_fen=INT),
})


SETOFF_RUN_SCHEMAS = {
    "SetoffMandate": derived(setoff.Mandate, live={
        "type": "boolean", "description": "standing and not expired at the head's time"}),
    "SetoffMandates": record(
        ["member", "live", "mandates"], member=HEX32,
        live={"type": "boolean", "description": "whether the latest mandate stands now"},
        mandates={"type": "array", "items": ref("SetoffMandate"),
                  "description": "every mandate the member signed, oldest first"}),
    "SetoffRun": derived(
        setoff.Run, open={"type": "boolean", "description": "takes batches now"},
        executed_share={"type": ["number", "null"],
                        "description": "cleared_fen / optimum_fen (a figure of the view, "
                        "not of the ledger)"},
        usage=record(["member", "cleared_of_fen", "cleared_to_fen", "batches"],
                      member=HEX32, cleared_of_fen=INT, cleared_to_fen=INT, batches=INT)),
    "SetoffRunBatch": derived(setoff.Batch),
    "SetoffPlanRun": record(
        ["optimum_fen", "planned_fen", "held_by_limits_fen", "deferred_fen", "batches"],
        open_run=HEX32_OR_NULL, mandated_members=INT, members=INT,
        optimum_fen={"type": "integer", "description": "the optimum over debts between two "
                     "members with a live mandate, no limit per run"},
        planned_fen={"type": "integer", "description": "what the run's batches clear: that "
                     "optimum within each member's per-run limit"},
        planned_share={"type": ["number", "null"]},
        held_by_limits_fen={"type": "integer", "description": "optimum_fen less what the "
                            "per-run limits let through"},
        deferred_fen={"type": "integer", "description": "in loops longer than a batch"},
        bilateral_fen={"type": "integer", "description": "of planned_fen, what two members "
                       "clear both ways (their mandates are the agreement)"},
        loops=INT, batches=INT, legs=INT),
}


NODE_VALIDATOR = derived(nodes.Validator, {
    "key": "the node key: what it signs votes and peer handshakes with",
    "peer": "host:port of its TLS peer links",
    "operator": "the member that runs it and approves changes for it"})
NODE_SCHEMAS = {
    "NodeRegistry": record(
        ["height", "from_height", "total_power", "validators", "upcoming", "later_sets",
         "observers"],
        height={**INT, "description": "the height these are for: the one after the head"},
        from_height={**INT_OR_NULL, "description": "the height the set in force holds from"},
        total_power=INT,
        validators={"type": "array", "items": {**NODE_VALIDATOR, "required": [
            *NODE_VALIDATOR["required"], "until_height"], "properties": {
            **NODE_VALIDATOR["properties"], "until_height": {
                **INT_OR_NULL, "description": "the first height of a decided set "
                "without it (removed, or its key rotated)"}}}},
        upcoming={"type": "array", "items": {**NODE_VALIDATOR, "required": [
            *NODE_VALIDATOR["required"], "from_height"], "properties": {
            **NODE_VALIDATOR["properties"], "from_height": {
                **INT, "description": "the height from which it votes"}}}},
        later_sets={"type": "array", "items": record(
            ["from_height", "total_power", "validators"], from_height=INT, total_power=INT,
            validators={"type": "array", "items": NODE_VALIDATOR})},
        observers={"type": "array", "items": derived(nodes.Observer)}),
    "NodeProposals": record(
        ["height", "proposals"], height=INT,
        proposals={"type": "array", "items": derived(
            nodes.Pending, {"approvals": "the operators that approved, sorted",
                            "proposed_by": "the agency member that proposed it"},
            required=["approved_power", "total_power", "needed_power", "expired"],
            approved_power={**INT, "description": "the power of the validators in force "
                            "whose operators approved"},
            total_power=INT,
            needed_power={**INT, "description": "more than two thirds of total_power"},
            expired=BOOL)}),
}


EXPLORER_SCHEMAS = {
    "OverviewBlock": record(
        ["height", "time_ms", "tx_count", "proposer"],
        height=INT, time_ms=INT, tx_count=INT, proposer=HEX32),
    "Overview": record(
        ["chain_id", "node", "role", "height", "block_id", "time_ms", "blocks", "validators",
         "latest_certificate", "debtors", "setoff"],
        chain_id=STR, node=STR, role={"enum": ["validator", "observer", "follower"]}, height=INT,
        block_id=HEX32, time_ms=INT,
        blocks={"type": "array", "items": ref("OverviewBlock"),
                "description": "the last `blocks` blocks, newest first"},
        validators={"type": "array", "items": record(
            ["name", "key", "power", "last_signed_height", "signed_latest"],
            name=STR, key=HEX32, power=INT,
            last_signed_height={"type": ["integer", "null"], "description": "the highest "
                                "of those blocks whose certificate holds its precommit"},
            signed_latest={"type": "boolean",
                           "description": "its precommit is in the head's certificate"})},
        latest_certificate={"type": ["object", "null"], "required": [
            "height", "round", "signers"], "properties": {
            "height": INT, "round": INT, "signers": {"type": "array", "items": HEX32}},
            "description": "the newest certificate among those blocks (genesis has none)"},
        debtors=record(
            ["debtors", "complete", "outstanding_fen", "issued_fen", "redeemed_fen",
             "vouchers_issued", "late_confirmations", "extended_vouchers", "overdue_vouchers"],
            debtors={"type": "integer", "description": "debtor records added up"},
            complete={"type": "boolean",
                      "description": "false when there were more than 10,000 of them"},
            outstanding_fen=INT, issued_fen=INT, redeemed_fen=INT, vouchers_issued=INT,
            late_confirmations=INT, extended_vouchers=INT, overdue_vouchers=INT),
        setoff=ref("SetoffTotals")),
    "FeeAccountSummary": record(["member", "charged_fen", "paid_fen", "owed_fen"],
                                 member=HEX32, charged_fen=INT, paid_fen=INT, owed_fen=INT),
}

# Certified headers for light clients (node/http/headers.py, contracts/proofs.py).
VALIDATOR_POWERS = {"type": "array", "items": record(["key", "power"], key=HEX32, power=INT),
                    "description": "a validator set, by key"}
HEADER_FIELDS = {
    "height": INT, "block_id": HEX32,
    "header": derived(Header, {
        "state_root": "root of the state commitment after this block",
        "validators_hash": "hash of the set in force at this height",
        "next_validators_hash": "hash of the set in force at the next height"}),
    "header_bytes": {**HEX_BYTES, "description": "the header's canonical bytes: what a "
                     "client verifies (block_id is their sha256)"}}
NEXT_VALIDATORS = {**VALIDATOR_POWERS, "type": ["array", "null"],
                   "description": "the set in force at the next height when the header "
                   "changes it (next_validators_hash differs from validators_hash); null "
                   "when the set stays"}
HEADER_SCHEMAS = {
    "CertifiedHeader": record(
        [*HEADER_FIELDS, "certificate", "next_validators"], **HEADER_FIELDS,
        certificate={**HEX_BYTES, "description": "the commit certificate's canonical bytes "
                     "(contracts.blocks.CertificateRecord: [height, round, block id, "
                     "[[validator, signature], ...]])"},
        next_validators=NEXT_VALIDATORS),
    "Headers": record(
        ["headers", "next_from"],
        headers={"type": "array", "items": ref("CertifiedHeader")},
        next_from={**INT, "description": "the height the next page starts at (the head + 1 "
                   "once the page reaches it)"}),
    "GenesisHeader": record(
        [*HEADER_FIELDS, "validators", "next_validators"], **HEADER_FIELDS,
        validators={**VALIDATOR_POWERS, "description": "the set in force at height 0"},
        next_validators=NEXT_VALIDATORS),
}

# A record proof (node/http/proofs.py): the record is any provable kind's, as derived.
_PROVEN = list(dict.fromkeys(p.record for p in PROVABLE.values()))
HEX_OR_NULL = {"type": ["string", "null"], "pattern": "^([0-9a-f]{2})+$"}
# ---- credit limits and the blacklist (contracts/credit.py, node/http/credit.py)
CREDIT_SCHEMAS = dict([
    named("IssuanceLimit", credit.IssuanceLimit, {
        "bank": "the bank whose credit line (授信) the limit follows; it co-signed"}),
    named("ExposureLimit", credit.ExposureLimit),
    named("Listing", credit.Listing, {
        "overdue_in_period": "overdue vouchers within the period when listed (at most 64)",
        "late_in_period": "late confirmations within the period when listed (at most 64)"}),
    named("BlacklistCriteria", credit.Criteria),
    named("Standing", credit.Standing),
    ("DebtorCredit", derived(
        credit.DebtorCredit, {"limit": {"anyOf": [ref("IssuanceLimit"), {"type": "null"}]}},
        ["used_fen", "available_fen", "listing", "standing"], used_fen={
            **INT, "description": "outstanding_fen + pending_fen: what an application adds to"},
        available_fen={**INT_OR_NULL, "description": "what the limit leaves; null: no limit"},
        listing={"anyOf": [ref("Listing"), {"type": "null"}]}, standing=ref("Standing"))),
    ("Exposure", derived(
        credit.Exposure, {"limit": {"anyOf": [ref("ExposureLimit"), {"type": "null"}]}},
        ["exposure_fen", "available_fen"], exposure_fen={
            **INT, "description": "pledged_fen + held_fen"},
        available_fen={**INT_OR_NULL, "description": "what the limit leaves; null: no limit"})),
])

PROOF_SCHEMAS = {
    "RecordProof": record(
        ["kind", "id", "height", "state_root", "key", "value", "record", "proof", "siblings"],
        kind=enum(PROVABLE), id=HEX_BYTES,
        height={**INT, "description": "the head's height: the block whose header holds "
                "state_root"},
        state_root=HEX32,
        key={**HEX_BYTES, "description": "the state key the record is kept at"},
        value={**HEX_OR_NULL, "description": "the bytes kept there (the record's canonical "
               "encoding); null: there is no record, and the proof shows the key absent"},
        record={"anyOf": [*(derived(cls) for cls in _PROVEN), {"type": "null"}],
                "description": "the record `value` decodes to (null: absent)"},
        proof={**HEX_BYTES, "description": "the canonical encoding of the proof "
               "(contracts.state_tree.Proof: siblings from the root's children down, then "
               "the leaf met there or null)"},
        siblings={"type": "integer", "minimum": 0, "maximum": PATH_BITS}),
}

RECORD_SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
    "Status": {"type": "object",
               "required": ["chain_id", "node", "role", "height", "state_root"],
               "properties": {
                   "chain_id": {"type": "string"}, "node": {"type": "string"},
                   "role": {"enum": ["validator", "observer", "follower"]},
                   "height": {"type": "integer"}, "state_root": HEX32,
                   "block_id": HEX32, "time_ms": {"type": "integer"},
                   "version": {"type": "string", "description": "this release (package "
                               "metadata)"},
                   "protocol": {"type": "object", "description": "the version of what "
                                "every contract version shares (codec, state root, block "
                                "format): in force for the next block (the state's), this "
                                "release's, and those scheduled for later heights",
                                "required": ["in_force", "release", "scheduled"],
                                "properties": {
                                    "in_force": {"type": "integer"},
                                    "release": {"type": "integer"},
                                    "scheduled": {"type": "array", "items": {
                                        "type": "object",
                                        "required": ["version", "from_height"],
                                        "properties": {
                                            "version": {"type": "integer"},
                                            "from_height": {"type": "integer"}}}}}},
                   "contracts_scheduled": {
                       "type": "array", "description": "contract versions the agency "
                       "activated from a later height, in height order", "items": {
                           "type": "object",
                           "required": ["name", "version", "code_hash", "from_height",
                                        "this_release_runs"],
                           "properties": {
                               "name": {"type": "string"}, "version": {"type": "integer"},
                               "code_hash": HEX32, "from_height": {"type": "integer"},
                               "this_release_runs": {"type": "boolean"}}}},
                   "upgrade_needed": {
                       "type": ["object", "null"], "description": "the first contract "
                       "version (contract null: protocol version) the chain schedules and "
                       "this release lacks: the node stops before executing `from_height`",
                       "required": ["contract", "version", "code_hash", "from_height",
                                    "blocks_left", "code", "message"],
                       "properties": {
                           "contract": {"type": ["string", "null"]},
                           "version": {"type": "integer"},
                           "code_hash": {"type": ["string", "null"]},
                           "from_height": {"type": "integer"},
                           "blocks_left": {"type": "integer"},
                           "code": {"type": "string"}, "message": {"type": "string"}}},
                   "contracts": {"type": "array", "description": "each contract's version "
                                 "in force for the next block", "items": {
                                     "type": "object",
                                     "required": ["name", "version", "code_hash",
                                                  "from_height"],
                                     "properties": {
                                         "name": {"type": "string"},
                                         "version": {"type": "integer"},
                                         "code_hash": HEX32,
                                         "from_height": {"type": "integer"}}}},
                   "peers": {"type": "object", "required": ["count", "links"],
                             "properties": {
                                 "count": {"type": "integer"},
                                 "links": {"type": "array", "items": {
                                     "type": "object",
                                     "required": ["name", "key", "role", "direction"],
                                     "properties": {
                                         "name": {"type": "string"}, "key": HEX32,
                                         "role": {"enum": ["validator", "observer"]},
                                         "direction": {"enum": ["inbound", "outbound"]},
                                         "height": {"type": ["integer", "null"],
                                                    "description": "the head it last "
                                                    "reported"}}}}}},
                   "catching_up": {"type": "boolean", "description": "behind the head "
                                   "the validators report (f + 1 of them)"},
                   "sync_lag": {"type": "integer", "description": "blocks behind that "
                                "head"}}},
    "Tx": {"type": "object", "required": ["id", "status"], "properties": {
        "id": HEX32, "status": {"enum": ["pending", "committed", "rejected"]},
        "height": {"type": "integer"}, "operation": {"type": "string"},
        "body": {"type": ["object", "null"]}, "events": {"type": "array"},
        "error": {"type": "object"}}},
    "Block": {"type": "object", "required": ["id", "header", "txs"], "properties": {
        "id": HEX32, "header": OBJECT, "txs": {"type": "array", "items": HEX32},
        "evidence": {"type": "array", "description": "equivocations this block "
                     "recorded (see /v1/evidence)", "items": record(
                         ["vote_a", "vote_b"], vote_a=HEX_BYTES, vote_b=HEX_BYTES)},
        "certificate": {"type": ["object", "null"]}, "events": {"type": "array"}}},
    "Voucher": {"allOf": [ref("VoucherState"), {"type": "object", "required": [
        "lineage", "children", "origin_record"], "properties": {
        "lineage": {"type": "array", "items": HEX32,
                    "description": "ancestor ids, from the issued voucher down to "
                    "the parent"},
        "children": {"type": "array", "items": HEX32},
        "origin_record": ref("Origin")}}]},
    "Member": derived(membership.Member, withheld={
        "type": "array", "items": {"type": "string"},
        "description": "the fields emptied because they are personal data the caller does "
                       "not read (contracts.membership.may_read_member_private)"}),
    "Application": derived(issuance.Application),
    "Grant": derived(documents.Grant, {
        "granted_by": "the holder of the voucher that granted it",
        "voucher": "the voucher state its granter held, whose issuance application named "
        "the document",
        "sealed": "the document key sealed to the grantee's X25519 key (a sealed box): "
        "only the grantee opens it",
        "revoked_at_ms": "when its granter revoked it: nodes serve the grantee no more"}),
    "Document": derived(
        documents.Attachment, {
            "id": "sha256 of a domain tag, the owner and the commitment: another "
            "member's attachment never takes it",
            "owner": "the member that attached it",
            "commitment": "sha256 of a domain tag, a salt known only to the readers, "
            "and the plaintext",
            "readers": "the parties, every active agency and regulator when it was "
            "attached",
            "size": "ciphertext bytes: the document padded to a size class (4 KiB, "
            "8 KiB, ... 2 MiB, or 4 MiB + 4 KiB)",
            "tx_id": "the attach transaction"},
        envelope=derived(documents.Envelope, {
            "ciphertext": "nonce (24 bytes), then the secretbox ciphertext of the "
            "padded contents (salt, label, document)"}),
        grant={**ref("Grant"), "description": "to a grantee: its grant in force, which "
               "carries the document key sealed to it (the envelope holds no key of its)"}),
    "Equivocation": derived(evidence.Equivocation, {
        "validator": "the validator's node key",
        "value_a": "the lower value (empty: nil)", "value_b": "the other value",
        "included_height": "the block that recorded it"}),
    **HEADER_SCHEMAS,
    **LIFECYCLE_SCHEMAS,
    **SETOFF_SCHEMAS,
    **SETOFF_RUN_SCHEMAS,
    **EXPLORER_SCHEMAS,
    **NODE_SCHEMAS,
    **PROOF_SCHEMAS,
    **CREDIT_SCHEMAS,
}
