"""The light verifier (contracts/proofs.py): headers followed from genesis with nothing
but the genesis block id as trust root, every tampered header, certificate, validator set
or record proof refused with its code; and the certified headers a node serves for it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consensus.certificate import Certificate as ConsensusCertificate
from consensus.certificate import Precommit, make_certificate
from contracts import membership, nodes, state_tree
from contracts.blocks import (
    CertificateRecord,
    Header,
    PrecommitRecord,
    block_id,
    validators_hash,
)
from contracts.codec import decode, encode
from contracts.identity import KeyPair
from contracts.proofs import (
    CertifiedHeader,
    ProofError,
    Trusted,
    advance,
    as_certificate,
    certificate_record,
    certified_from_bytes,
    trust_genesis,
    verify_record,
)
from node import light_serve
from tests import nodeproc
from tests import test_chain_validator_sets as sets_test

CHAIN = "claimledger-light-test"
KEYS = [KeyPair(bytes([i + 1]) * 32) for i in range(8)]  # fixed: examples replay
OUTSIDER = KeyPair(bytes([99]) * 32)
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# ------------------------------------------------------------------ the header format


def fixed_header() -> Header:
    return Header(chain_id="claimledger-fixed", height=7, prev_hash=bytes(range(32)),
                  time_ms=1_760_000_000_123, proposer=bytes([0xAB]) * 32,
                  tx_root=bytes([1]) * 32, tx_count=3, state_root=bytes([2]) * 32,
                  validators_hash=bytes([3]) * 32, next_validators_hash=bytes([4]) * 32,
                  evidence_root=bytes([5]) * 32)


def test_a_headers_block_id_and_a_sets_hash_are_those_computed_before_the_move() -> None:
    # Computed with node/blocks.py before the header format moved to contracts/blocks.py:
    # every block id of every chain depends on these bytes.
    assert block_id(fixed_header()).hex() == \
        "038fc21687abc6908a7b9f12d9fd37973280e2286c0188f2f1361ae1bb5d4873"
    assert validators_hash({bytes([9]) * 32: 1, bytes([8]) * 32: 5}).hex() == \
        "3a778c96465cb49244e70e3895fd44df75759932073f3044ba0b41acbbad5fcc"


def test_the_node_keeps_reading_the_header_format_it_always_named() -> None:
    from node import blocks

    assert blocks.Header is Header and blocks.block_id is block_id
    assert blocks.validators_hash is validators_hash


def test_a_certificate_record_has_the_bytes_of_the_consensus_wire_form() -> None:
    cert = ConsensusCertificate(9, 2, bytes([7]) * 32, (
        Precommit(bytes([1]) * 32, bytes([0xEE]) * 64),
        Precommit(bytes([2]) * 32, bytes([0xDD]) * 64)))
    record = certificate_record(cert)
    assert encode(record) == msgpack.packb(cert.to_wire(), use_bin_type=True)
    assert decode(CertificateRecord, encode(record)) == record
    assert as_certificate(record) == cert


# ------------------------------------------------------------------ a chain of headers


Powers = dict[bytes, int]


def powers_of(keys: list[KeyPair], power: int = 1) -> Powers:
    return {k.address: power for k in keys}


@dataclass
class Chain:
    """Headers made by hand: each height's state tree, validator set and certificate."""

    chain_id: str
    headers: list[Header]
    certificates: list[CertificateRecord | None]
    sets: list[Powers]  # in force at each height, and one more: the last header's next
    trees: list[state_tree.MemoryTree]  # the state tree after each height
    records: list[dict[bytes, bytes]]  # the state after each height

    def prove(self, height: int, key: bytes) -> state_tree.Proof:
        return state_tree.prove(self.trees[height], self.headers[height].state_root, key)

    @property
    def genesis_id(self) -> bytes:
        return block_id(self.headers[0])

    def certified(self, height: int) -> CertifiedHeader:
        certificate = self.certificates[height]
        assert certificate is not None
        return CertifiedHeader(self.headers[height], certificate)

    def announced(self, height: int) -> Powers | None:
        """What a node hands over with the header: the next set when it changes."""
        return None if self.sets[height + 1] == self.sets[height] else self.sets[height + 1]

    def trusted(self) -> Trusted:
        return trust_genesis(self.genesis_id, self.headers[0], self.sets[0], self.announced(0))


def signers_of(powers: Powers) -> dict[bytes, Callable[[bytes], bytes]]:
    by_address = {k.address: k for k in [*KEYS, OUTSIDER]}
    return {a: by_address[a].sign for a in powers}


def make_chain(sets: list[Powers], chain_id: str = CHAIN) -> Chain:
    """A chain of len(sets) - 1 heights after genesis; `sets[h]` in force at height h (the
    last one is what the last header announces). Each height writes one record."""
    records: dict[bytes, bytes] = {b"genesis": b"g"}
    headers: list[Header] = []
    certificates: list[CertificateRecord | None] = []
    history: list[dict[bytes, bytes]] = []
    trees: list[state_tree.MemoryTree] = []
    for height in range(len(sets) - 1):
        if height:
            records[f"record/{height % 3}".encode()] = f"value at {height}".encode()
        history.append(dict(records))
        # A tree of its own per height: a stored tree is the current one only.
        trees.append(state_tree.MemoryTree())
        root = state_tree.build(trees[-1], list(records.items()))
        header = Header(
            chain_id=chain_id, height=height,
            prev_hash=block_id(headers[-1]) if headers else bytes(32),
            time_ms=1_800_000_000_000 + height * 1000,
            proposer=bytes(32) if not height else min(sets[height]),
            tx_root=bytes([height % 256]) * 32, tx_count=height, state_root=root,
            validators_hash=validators_hash(sets[height]),
            next_validators_hash=validators_hash(sets[height + 1]),
            evidence_root=bytes(32))
        headers.append(header)
        certificates.append(None if not height else certificate_record(make_certificate(
            chain_id, height, height % 2, block_id(header), signers_of(sets[height]))))
    return Chain(chain_id, headers, certificates, sets, trees, history)


def follow(chain: Chain, upto: int | None = None,
           announced: Callable[[int], Powers | None] | None = None) -> Trusted:
    trusted = chain.trusted()
    for height in range(1, (len(chain.headers) - 1 if upto is None else upto) + 1):
        trusted = advance(trusted, chain.certified(height),
                          (announced or chain.announced)(height))
    return trusted


def refused(code: str, call: Callable[[], object]) -> ProofError:
    with pytest.raises(ProofError) as e:
        call()
    assert e.value.code == code, e.value
    return e.value


FOUR = powers_of(KEYS[:4])
STEADY = make_chain([FOUR] * 6)  # genesis and heights 1..4, one set throughout


def test_a_chain_verifies_from_its_genesis_block_id_alone() -> None:
    trusted = follow(STEADY)
    assert trusted.height == 4 and trusted.header == STEADY.headers[4]
    assert trusted.validators == FOUR


# ------------------------------------------------------------------ tampered headers

# The code each header field's tampering meets first: the chain id, the height and the
# link are checked before the set, and the set before the certificate, which covers the
# rest through the block id.
FIELD_CODES = {"chain_id": "proof.wrong_chain", "height": "proof.not_next",
               "prev_hash": "proof.not_next", "validators_hash": "proof.bad_validators"}
HEADER_FIELDS = [f.name for f in fields(Header)]


def flip(value: object, bit: int) -> object:
    """`value` with one bit flipped (a str: one character's low bits; an int: one of its
    low 30 bits, so that it stays in range)."""
    if isinstance(value, bytes):
        i = bit % (8 * len(value))
        return value[:i // 8] + bytes([value[i // 8] ^ (1 << (i % 8))]) + value[i // 8 + 1:]
    if isinstance(value, str):
        i = bit % len(value)
        return value[:i] + chr(ord(value[i]) ^ (1 << (bit % 5))) + value[i + 1:]
    assert isinstance(value, int)
    return value ^ (1 << (bit % 30))


@PROPERTY
@given(name=st.sampled_from(HEADER_FIELDS), bit=st.integers(0, 255),
       height=st.integers(1, 4))
def test_a_header_with_any_bit_flipped_is_refused_with_its_code(
        name: str, bit: int, height: int) -> None:
    trusted = follow(STEADY, height - 1)
    genuine = STEADY.certified(height)
    header = replace(genuine.header, **{name: flip(getattr(genuine.header, name), bit)})
    tampered = CertifiedHeader(header, genuine.certificate)
    refused(FIELD_CODES.get(name, "proof.bad_certificate"),
            lambda: advance(trusted, tampered, STEADY.announced(height)))
    assert advance(trusted, genuine).header == genuine.header  # the genuine one passes


def test_a_header_of_another_chain_is_refused() -> None:
    other = make_chain([FOUR] * 4, chain_id="claimledger-other")  # the same validators
    trusted = STEADY.trusted()
    refused("proof.wrong_chain", lambda: advance(trusted, other.certified(1)))
    # Nor does its genesis pass for the one the client was told of.
    refused("proof.wrong_chain", lambda: trust_genesis(STEADY.genesis_id, other.headers[0],
                                                       FOUR))


def test_a_skipped_height_or_a_replayed_one_is_refused() -> None:
    trusted = follow(STEADY, 1)
    refused("proof.not_next", lambda: advance(trusted, STEADY.certified(3)))
    refused("proof.not_next", lambda: advance(trusted, STEADY.certified(1)))
    # A header of the next height on another parent, even one the validators certified.
    fork_parent = replace(STEADY.headers[1], tx_root=bytes([0xFF]) * 32)
    fork = replace(STEADY.headers[2], prev_hash=block_id(fork_parent))
    refused("proof.not_next", lambda: advance(trusted, resign(2, KEYS[:4], fork)))


# ------------------------------------------------------------------ tampered certificates


def resign(height: int, signers: list[KeyPair], header: Header | None = None,
           chain: Chain = STEADY) -> CertifiedHeader:
    header = header or chain.headers[height]
    cert = make_certificate(chain.chain_id, height, 0, block_id(header),
                            {k.address: k.sign for k in signers})
    return CertifiedHeader(header, certificate_record(cert))


@PROPERTY
@given(powers=st.lists(st.integers(1, 5), min_size=1, max_size=6),
       signing=st.lists(st.booleans(), min_size=6, max_size=6))
def test_a_certificate_passes_exactly_when_its_signers_hold_over_two_thirds(
        powers: list[int], signing: list[bool]) -> None:
    keys = KEYS[:len(powers)]
    validators = {k.address: p for k, p in zip(keys, powers, strict=True)}
    chain = make_chain([validators] * 3)
    signers = [k for k, signs in zip(keys, signing, strict=False) if signs]
    signed = sum(validators[k.address] for k in signers)
    certified = resign(1, signers, chain=chain)
    if 3 * signed > 2 * sum(powers):
        assert advance(chain.trusted(), certified).height == 1
    else:
        error = refused("proof.bad_certificate", lambda: advance(chain.trusted(), certified))
        assert "certificate.no_quorum" in error.message


@PROPERTY
@given(which=st.integers(0, 3), bit=st.integers(0, 511))
def test_a_certificate_with_a_flipped_signature_bit_is_refused(which: int, bit: int) -> None:
    genuine = STEADY.certified(2)
    precommits = list(genuine.certificate.precommits)
    p = precommits[which]
    precommits[which] = PrecommitRecord(p.validator, flip(p.signature, bit))  # type: ignore[arg-type]
    tampered = CertifiedHeader(genuine.header, replace(genuine.certificate,
                                                       precommits=tuple(precommits)))
    error = refused("proof.bad_certificate", lambda: advance(follow(STEADY, 1), tampered))
    assert "certificate.bad_signature" in error.message


@pytest.mark.parametrize(("tamper", "cause"), [
    ("signer_not_in_set", "certificate.unknown_validator"),
    ("duplicated_signer", "certificate.duplicate_vote"),
    ("dropped_below_two_thirds", "certificate.no_quorum"),
    ("other_round", "certificate.bad_signature"),
    ("other_height", "certificate.wrong_block"),
    ("other_block", "certificate.wrong_block"),
])
def test_a_tampered_certificate_is_refused_with_the_cause_in_its_message(
        tamper: str, cause: str) -> None:
    genuine = STEADY.certified(2)
    cert = genuine.certificate
    votes = cert.precommits
    tampered = {
        "signer_not_in_set": lambda: resign(2, [*KEYS[:3], OUTSIDER]).certificate,
        "duplicated_signer": lambda: replace(cert, precommits=(*votes[:3], votes[0])),
        "dropped_below_two_thirds": lambda: replace(cert, precommits=votes[:2]),
        "other_round": lambda: replace(cert, round=cert.round + 1),
        "other_height": lambda: replace(cert, height=3),
        "other_block": lambda: STEADY.certified(3).certificate,
    }[tamper]()
    error = refused("proof.bad_certificate", lambda: advance(
        follow(STEADY, 1), CertifiedHeader(genuine.header, tampered)))
    assert cause in error.message


# ------------------------------------------------------------------ validator set changes

# Heights 0-2 under A (four validators); header 2 announces B (a fifth joins), in force
# at 3-5; header 5 announces C (two leave, powers change), in force from 6.
SET_A = powers_of(KEYS[:4])
SET_B = powers_of(KEYS[:5])
SET_C = {KEYS[2].address: 3, KEYS[3].address: 1, KEYS[4].address: 2, KEYS[5].address: 1}
CHANGING = make_chain([SET_A] * 3 + [SET_B] * 3 + [SET_C] * 3)  # heights 0..7


def test_headers_across_two_set_changes_verify_with_the_next_sets_handed_over() -> None:
    assert [h for h in range(8) if CHANGING.announced(h) is not None] == [2, 5]
    trusted = follow(CHANGING)
    assert trusted.height == 7 and trusted.validators == SET_C
    # The new set signs from its height on: C's validators alone finalise height 6.
    at5 = follow(CHANGING, 5)
    assert advance(at5, resign(6, [KEYS[2], KEYS[4]], chain=CHANGING)).height == 6
    # The set that went out no longer counts: A's signers at height 6 are refused.
    error = refused("proof.bad_certificate", lambda: advance(
        at5, resign(6, KEYS[:4], chain=CHANGING)))
    assert "certificate.unknown_validator" in error.message


@pytest.mark.parametrize("at", [2, 5])
def test_a_set_change_is_refused_without_the_next_set(at: int) -> None:
    trusted = follow(CHANGING, at - 1)
    error = refused("proof.bad_validators",
                    lambda: advance(trusted, CHANGING.certified(at), None))
    assert "give it" in error.message


@PROPERTY
@given(at=st.sampled_from([2, 5]), which=st.integers(0, 4), delta=st.integers(1, 3),
       tamper=st.sampled_from(["power", "added", "removed"]))
def test_a_tampered_next_set_is_refused(at: int, which: int, delta: int, tamper: str) -> None:
    trusted = follow(CHANGING, at - 1)
    genuine = CHANGING.announced(at)
    assert genuine is not None
    keys = sorted(genuine)
    key = keys[which % len(keys)]
    bad = dict(genuine)
    if tamper == "power":
        bad[key] += delta
    elif tamper == "added":
        bad[OUTSIDER.address] = delta
    else:
        del bad[key]
    refused("proof.bad_validators", lambda: advance(trusted, CHANGING.certified(at), bad))
    assert advance(trusted, CHANGING.certified(at), genuine).validators == genuine


def test_a_next_set_handed_over_where_the_set_stays_must_still_be_the_set() -> None:
    trusted = follow(CHANGING, 2)
    refused("proof.bad_validators",
            lambda: advance(trusted, CHANGING.certified(3), {**SET_B, OUTSIDER.address: 1}))
    assert advance(trusted, CHANGING.certified(3), SET_B).validators == SET_B


def test_genesis_is_trusted_only_with_the_sets_it_names() -> None:
    refused("proof.bad_validators",
            lambda: trust_genesis(STEADY.genesis_id, STEADY.headers[0], SET_B))
    refused("proof.bad_validators",
            lambda: trust_genesis(STEADY.genesis_id, STEADY.headers[0], FOUR, SET_B))
    refused("proof.bad_validators",  # no header can name an empty set
            lambda: trust_genesis(STEADY.genesis_id, STEADY.headers[0], {}))
    assert STEADY.trusted().validators == FOUR


# ------------------------------------------------------------------ records against headers


@PROPERTY
@given(items=st.dictionaries(st.binary(min_size=1, max_size=12), st.binary(max_size=12),
                             min_size=1, max_size=40),
       absent=st.binary(min_size=1, max_size=12), bit=st.integers(0, 255),
       pick=st.integers(0, 39))
def test_a_record_is_proven_against_a_header_and_every_tampering_is_refused(
        items: dict[bytes, bytes], absent: bytes, bit: int, pick: int) -> None:
    store = state_tree.MemoryTree()
    root = state_tree.build(store, list(items.items()))
    header = replace(fixed_header(), state_root=root)
    key = sorted(items)[pick % len(items)]
    value = items[key]
    proof = state_tree.prove(store, root, key)
    verify_record(header, key, value, proof)  # present, with its value
    refused("proof.bad_proof", lambda: verify_record(header, key, value + b"!", proof))
    refused("proof.bad_proof", lambda: verify_record(header, key, None, proof))
    if absent not in items:
        verify_record(header, absent, None, state_tree.prove(store, root, absent))
        refused("proof.bad_proof", lambda: verify_record(
            header, absent, b"", state_tree.prove(store, root, absent)))
    # A flipped bit in a sibling, in the leaf's path or value hash, or in the root.
    if proof.siblings:
        i = bit % len(proof.siblings)
        siblings = (*proof.siblings[:i], flip(proof.siblings[i], bit), *proof.siblings[i + 1:])
        refused("proof.bad_proof", lambda: verify_record(
            header, key, value, replace(proof, siblings=siblings)))
    assert proof.leaf is not None
    for name in ("path", "value_hash"):
        leaf = replace(proof.leaf, **{name: flip(getattr(proof.leaf, name), bit)})
        refused("proof.bad_proof", lambda leaf=leaf: verify_record(
            header, key, value, replace(proof, leaf=leaf)))
    other = replace(header, state_root=flip(root, bit))
    refused("proof.bad_proof", lambda: verify_record(other, key, value, proof))


def test_a_record_is_proven_at_the_height_of_a_followed_header() -> None:
    trusted = follow(CHANGING)
    for height in range(8):
        header = CHANGING.headers[height]
        for key, value in CHANGING.records[height].items():
            verify_record(header, key, value, CHANGING.prove(height, key))
    key = b"record/1"  # written at 1, 4 and 7: the value of 4 is not the state at 7
    stale = CHANGING.records[4][key]
    refused("proof.bad_proof", lambda: verify_record(
        trusted.header, key, stale, CHANGING.prove(4, key)))


def test_certified_header_bytes_round_trip_and_garbage_is_malformed() -> None:
    genuine = STEADY.certified(1)
    header_bytes, cert_bytes = encode(genuine.header), encode(genuine.certificate)
    assert certified_from_bytes(header_bytes, cert_bytes) == genuine
    assert decode(CertifiedHeader, encode(genuine)) == genuine
    refused("proof.malformed", lambda: certified_from_bytes(header_bytes + b"\x00",
                                                            cert_bytes))
    refused("proof.malformed", lambda: certified_from_bytes(cert_bytes, header_bytes))


# ------------------------------------------------------------------ what a node serves


def test_a_node_serves_certified_headers_across_real_set_changes(tmp_path: Path) -> None:
    """A node's chain with two validator set changes by governance (in process): every
    stored header, with the next set a node hands over, verifies from genesis."""
    validators = [KeyPair.generate() for _ in range(3)]
    agency, regulator = KeyPair.generate(), KeyPair.generate()
    config = sets_test.parse_network(sets_test.network_text(validators, agency, regulator))
    store = sets_test.Store(tmp_path / "ledger")
    try:
        chain = sets_test.Chain(store, sets_test.REGISTRY, config)
        w = sets_test.World(validators, KeyPair.generate(), agency, chain, store, config, {})
        v0, v1, v2 = validators
        new = w.newcomer
        add = nodes.Change("add_validator", new.address, power=1, peer="127.0.0.1:9200",
                           operator=agency.address, name="v3")
        for tx in sets_test.change(w, add):
            sets_test.commit(w, [v0, v1, v2], tx)  # 1, 2: in force from 4
        sets_test.commit(w, [v0, v1, v2])  # 3 announces the four
        for tx in sets_test.change(w, nodes.Change("remove_validator", v0.address)):
            sets_test.commit(w, [v1, v2, new], tx)  # 4, 5: in force from 7
        sets_test.commit(w, [v1, v2, new])  # 6 announces the set without v0
        sets_test.commit(w, [v1, v2, new])  # 7

        genesis = store.header(0)
        assert genesis is not None and light_serve.certified_header(store, 0) is None
        trusted = trust_genesis(store.genesis_id() or b"", genesis,
                                light_serve.powers_at(chain, 0),
                                light_serve.announced_set(chain, genesis))
        handed = []
        for height in range(1, chain.head.height + 1):
            certified = light_serve.certified_header(store, height)
            assert certified is not None
            following = light_serve.announced_set(chain, certified.header)
            if following is not None:
                handed.append(height)
                refused("proof.bad_validators",
                        lambda c=certified, t=trusted: advance(t, c))
            trusted = advance(trusted, certified, following)
        assert handed == [3, 6]
        assert trusted.height == 7 and trusted.validators == light_serve.powers_at(chain, 8)
        assert v0.address not in trusted.validators
        # A record of the head's state, and one absent, proven against the header the
        # client verified from genesis: the state root is the node's own state tree.
        key = membership.member_key(agency.address)
        value = store.get(key)
        assert value is not None and trusted.header.state_root == chain.head.state_root
        verify_record(trusted.header, key, value,
                      state_tree.prove(store.tree, trusted.header.state_root, key))
        stranger = membership.member_key(OUTSIDER.address)
        proof = state_tree.prove(store.tree, trusted.header.state_root, stranger)
        verify_record(trusted.header, stranger, None, proof)
        refused("proof.bad_proof", lambda: verify_record(trusted.header, stranger, value,
                                                         proof))
    finally:
        store.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[nodeproc.Network]:
    """A real node process with a few blocks: empty ones come every 100 ms."""
    net = nodeproc.make_network(tmp_path_factory.mktemp("light"), "claimledger-light-api")
    net.network_file.write_text(nodeproc.network_toml(
        net.chain_id, net.validator, net.members, net.port, net.genesis_ms,
        empty_block_interval_ms=100, peer_port=net.peer_port), encoding="utf-8")
    with nodeproc.running(net) as process:
        deadline = 200
        while nodeproc.get(net.api, "/v1/status").json()["height"] < 5 and deadline:
            deadline -= 1
            time.sleep(0.05)
        assert deadline, process.stderr()
        yield net


def test_headers_fetched_from_a_node_verify_from_its_genesis(
        served: nodeproc.Network) -> None:
    net = served
    status = nodeproc.get(net.api, "/v1/status").json()
    genesis = nodeproc.get(net.api, "/v1/headers/genesis").json()
    assert genesis["block_id"] == status["genesis_id"]
    as_set = lambda view: None if view is None else {  # noqa: E731
        bytes.fromhex(v["key"]): v["power"] for v in view}
    trusted = trust_genesis(bytes.fromhex(status["genesis_id"]),
                            decode(Header, bytes.fromhex(genesis["header_bytes"])),
                            as_set(genesis["validators"]), as_set(genesis["next_validators"]))
    assert as_set(genesis["validators"]) == {net.validator.address: 1}
    start, pages = 1, 0
    while start <= status["height"]:
        page = nodeproc.get(net.api, f"/v1/headers?from={start}&limit=2").json()
        pages += 1
        for view in page["headers"]:
            certified = certified_from_bytes(bytes.fromhex(view["header_bytes"]),
                                             bytes.fromhex(view["certificate"]))
            assert view["header"]["state_root"] == certified.header.state_root.hex()
            assert view["block_id"] == block_id(certified.header).hex()
            trusted = advance(trusted, certified, as_set(view["next_validators"]))
        assert page["next_from"] == start + len(page["headers"])
        start = page["next_from"]
    assert trusted.height >= status["height"] and pages >= 3
    block = nodeproc.get(net.api, f"/v1/blocks/{trusted.height}").json()
    assert block["id"] == block_id(trusted.header).hex()


@pytest.mark.parametrize(("query", "status", "code"), [
    ("from=abc", 400, "request.bad_parameter"),
    ("from=-1", 400, "request.bad_parameter"),
    ("from=0", 400, "request.bad_parameter"),
    ("from=1.5", 400, "request.bad_parameter"),
    ("from=" + "9" * 30, 400, "request.bad_parameter"),
    ("limit=0", 400, "request.bad_parameter"),
    ("limit=1001", 400, "request.bad_parameter"),
    ("limit=x", 400, "request.bad_parameter"),
    ("from=999999999", 404, "not_found"),
])
def test_bad_header_parameters_are_refused_with_their_codes(
        served: nodeproc.Network, query: str, status: int, code: str) -> None:
    reply = nodeproc.get(served.api, f"/v1/headers?{query}")
    assert reply.status == status, reply.body
    assert reply.error_code() == code


def test_headers_are_read_by_members_only(served: nodeproc.Network) -> None:
    assert nodeproc.get(served.api, "/v1/headers", key=None).error_code() == "auth.required"
    reply = nodeproc.get(served.api, "/v1/headers/genesis", key=KeyPair.generate())
    assert reply.status == 403 and reply.error_code() == "read.forbidden"
    page = nodeproc.get(served.api, "/v1/headers", key=served.members["supplier"]).json()
    assert page["headers"][0]["height"] == 1 and len(page["headers"]) <= 100
