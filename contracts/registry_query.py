"""A query certificate (查询证明): a node's signed answer to a pledge registry query.

The national registry (中登网) hands whoever searches it a query certificate: what was
asked, when, and what the registry held, so a lender can show later that it looked
before it lent (§000-三(五)). Here a node answers a registry query (pledges by pledgor,
by debtor, by voucher state or by issued voucher) with the public notices of what it
found (contracts.pledge.Notice), the height, ledger time and state root it answered at,
and its node key, and signs that answer under CERTIFICATE_DOMAIN. Anyone verifies it
offline with `verify_certificate`, knowing only the chain id and which node keys it
trusts (the validators and observers of the genesis document, or a regulator's node).

What the state root adds. Each result comes with a Merkle proof (contracts.state_tree)
that its entry in the registry's index for the query (`pp/<pledgor><pledge>` and the
like, committed keys) is present under the state root: so a result cannot be made up by
the node, and a verifier that holds the header of that height (a light node's verified
headers) knows the answer was taken from the chain's state. Two things rest on the node's
signature alone: the notices' status and dates (they are read from the pledge record,
whose loan terms a member may not learn, so that record is not proven to it), and
completeness (the tree is keyed by hashes of keys, so it proves single keys, not that
no other key lies under an index prefix).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Annotated

from contracts import state_tree
from contracts.codec import Hash32, Height, Name, OneOf, Sig64, Size, TimeMs, decode, encode
from contracts.errors import CodecError
from contracts.identity import verify
from contracts.pledge import PLEDGE_STATUSES, QUERY_INDEX, Notice, notice_of, query_page
from contracts.proofs import ProofError
from contracts.state import Reader

CERTIFICATE_DOMAIN = b"claimledger/registry-query/v1\x00"
# The queries any member may ask (a bank's own list of pledges is its own business).
PUBLIC_QUERIES = frozenset({"pledgor", "debtor", "voucher", "origin"})
MAX_RESULTS = 100  # notices in one certificate; past them, `complete` is False
MAX_CERTIFICATE_BYTES = 1 << 20


class CertificateError(ProofError):
    """A query certificate that does not hold (a proof refused, as the light client's)."""


@dataclass(frozen=True)
class Query:
    by: Annotated[str, OneOf(PUBLIC_QUERIES)]
    key: Hash32  # the pledgor's or the debtor's address, or the voucher's or origin's id
    status: Annotated[str, OneOf(PLEDGE_STATUSES | {""})]  # "" for any status
    after: Hash32 | None  # the page after this pledge id (the last of the page before)


@dataclass(frozen=True)
class At:
    """The block a state is the state after."""

    chain_id: Name
    height: Height
    time_ms: TimeMs
    state_root: Hash32


@dataclass(frozen=True)
class Answer:
    chain_id: Name
    query: Query
    height: Height
    time_ms: TimeMs  # the ledger time of block `height`
    state_root: Hash32  # the state root in the header of block `height`
    notices: Annotated[tuple[Notice, ...], Size(0, MAX_RESULTS)]  # by pledge id
    proofs: Annotated[tuple[state_tree.Proof, ...], Size(0, MAX_RESULTS)]  # one per notice
    complete: bool  # True: nothing matches after these; False: ask for the page after
    node: Hash32  # the answering node's key


@dataclass(frozen=True)
class Certificate:
    answer: Answer
    signature: Sig64  # the node key's, over signed_bytes(answer)


def signed_bytes(answer: Answer) -> bytes:
    """What the node signs: the domain tag, then the answer's canonical bytes."""
    return CERTIFICATE_DOMAIN + encode(answer)


def index_key(query: Query, pledge_id: bytes) -> bytes:
    """The registry index entry that puts `pledge_id` in the answer to `query`."""
    return QUERY_INDEX[query.by](query.key, pledge_id)


def matches(query: Query, notice: Notice) -> bool:
    """Whether `notice` answers `query`: its pledgor, debtor, voucher or origin is the
    query's, and its status too if the query names one."""
    return getattr(notice, query.by) == query.key \
        and query.status in ("", notice.status) \
        and (query.after is None or notice.id > query.after)


def answer_query(state: Reader, tree: state_tree.TreeReader, at: At, query: Query,
                 node: bytes) -> Answer:
    """The answer to `query` from `state`, the state after the block `at` names, whose
    tree `tree` proves each result's index entry: at most MAX_RESULTS notices, by id."""
    found, more = query_page(state, query.by, query.key, query.after, MAX_RESULTS,
                             query.status or None)
    proofs = tuple(state_tree.prove(tree, at.state_root, index_key(query, p.id))
                   for p in found)
    return Answer(at.chain_id, query, at.height, at.time_ms, at.state_root,
                  tuple(notice_of(p) for p in found), proofs, more is None, node)


def certify(answer: Answer, sign: Callable[[bytes], bytes]) -> Certificate:
    """The certificate of `answer`, `sign` being the node key's signing of signed bytes."""
    return Certificate(answer, sign(signed_bytes(answer)))


def _fail(code: str, message: str) -> CertificateError:
    return CertificateError(f"certificate.{code}", message)


def verify_certificate(certificate: Certificate | bytes, chain_id: str,
                       trusted_nodes: Collection[bytes] | None = None) -> Answer:
    """The answer a certificate carries, once it holds: of chain `chain_id`, signed by its
    node (one of `trusted_nodes`, if given), every notice an answer to the query, in
    pledge id order with no repeats, each with a proof of its index entry under the state
    root. Raises CertificateError (`certificate.*`) otherwise; needs no node and no
    network."""
    if isinstance(certificate, bytes):
        try:
            certificate = decode(Certificate, certificate, MAX_CERTIFICATE_BYTES)
        except CodecError as e:
            raise _fail("malformed", f"not a query certificate: {e.message}") from None
    answer = certificate.answer
    if answer.chain_id != chain_id:
        raise _fail("wrong_chain", f"the certificate is of chain {answer.chain_id!r}, "
                    f"not {chain_id!r}")
    if trusted_nodes is not None and answer.node not in trusted_nodes:
        raise _fail("untrusted_node", f"node {answer.node.hex()} is not one you trust")
    if not verify(answer.node, signed_bytes(answer), certificate.signature):
        raise _fail("bad_signature", "the node's signature does not hold")
    ids = [notice.id for notice in answer.notices]
    if ids != sorted(set(ids)):
        raise _fail("inconsistent", "the notices are not in pledge id order, once each")
    if len(answer.proofs) != len(answer.notices):
        raise _fail("inconsistent", "each notice comes with one proof")
    for notice, proof in zip(answer.notices, answer.proofs, strict=True):
        if not matches(answer.query, notice):
            raise _fail("inconsistent", f"pledge {notice.id.hex()} does not answer the query")
        if not state_tree.verify(answer.state_root, index_key(answer.query, notice.id), b"",
                                 proof):
            raise _fail("bad_proof", f"pledge {notice.id.hex()} is not in the registry's "
                        "index under the certificate's state root")
    return answer
