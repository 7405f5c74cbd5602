"""The signing log and the guard: torn tails, corruption, restarts that never double-sign."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from consensus.certificate import PRECOMMIT, PREVOTE, vote_bytes
from consensus.guard import MAX_RECORDS, PROPOSAL_STEP, Signed, SigningGuard, SignRefused
from consensus.messages import NIL, proposal_bytes
from consensus.wal import (
    HEADER,
    FileWal,
    MemoryWal,
    WalCorrupt,
    encode_record,
    scan_log,
)

CHAIN = "wal-test"
KEY = hashlib.sha256(b"wal-key").digest()
V = b"\x0a" * 32
W = b"\x0b" * 32


def signer(message: bytes) -> bytes:
    return hashlib.blake2b(message, key=KEY, digest_size=64).digest()


def log_of(*payloads: bytes) -> bytes:
    return b"".join(encode_record(p) for p in payloads)


# -- the log format ----------------------------------------------------------------------


def test_records_read_back_in_order():
    scan = scan_log(log_of(b"one", b"two", b"three"))
    assert scan.payloads == (b"one", b"two", b"three")
    assert scan.torn_bytes == 0


def test_a_record_is_length_crc_payload():
    record = encode_record(b"abc")
    assert len(record) == HEADER.size + 3
    assert record[:4] == b"\x00\x00\x00\x03"
    assert record[8:] == b"abc"


def test_a_torn_last_record_is_cut_off_at_every_length():
    whole = log_of(b"first", b"second")
    last = encode_record(b"third")
    for cut in range(1, len(last)):
        scan = scan_log(whole + last[:cut])
        assert scan.payloads == (b"first", b"second")
        assert (scan.valid_bytes, scan.torn_bytes) == (len(whole), cut)


def test_a_last_record_with_a_bad_checksum_is_a_torn_tail():
    data = bytearray(log_of(b"first", b"second"))
    data[-1] ^= 0xFF
    scan = scan_log(bytes(data))
    assert scan.payloads == (b"first",)
    assert scan.torn_bytes == len(encode_record(b"second"))


def test_zeros_after_the_last_record_are_a_torn_tail():
    scan = scan_log(log_of(b"first") + bytes(40))
    assert scan.payloads == (b"first",)


def test_a_corrupt_record_in_the_middle_is_an_error():
    data = bytearray(log_of(b"first", b"second", b"third"))
    data[HEADER.size + 1] ^= 0x01  # inside "first"
    with pytest.raises(WalCorrupt) as e:
        scan_log(bytes(data))
    assert e.value.code == "wal.corrupt"


def test_a_corrupt_length_in_the_middle_is_an_error():
    data = bytearray(log_of(b"first", b"second", b"third"))
    data[0] = 0x7F  # the first record claims to be enormous
    with pytest.raises(WalCorrupt):
        scan_log(bytes(data))


def test_memory_log_keeps_only_the_synced_prefix_after_a_crash():
    wal = MemoryWal()
    wal.append(b"synced")
    wal.sync()
    wal.append(b"lost")
    assert wal.after_crash().records() == (b"synced",)


def test_memory_log_cuts_a_partly_written_record_after_a_crash():
    wal = MemoryWal()
    wal.append(b"synced")
    wal.sync()
    wal.append(b"half written")
    restarted = wal.after_crash(unsynced_kept=5)
    assert restarted.records() == (b"synced",)
    assert restarted.torn_bytes == 5


def test_file_log_survives_reopening(tmp_path: Path):
    path = tmp_path / "signing.wal"
    wal = FileWal(path)
    wal.append(b"one")
    wal.append(b"two")
    wal.sync()
    wal.close()
    again = FileWal(path)
    assert again.records() == (b"one", b"two")
    again.close()


def test_file_log_truncates_a_torn_tail_and_appends_after_it(tmp_path: Path):
    path = tmp_path / "signing.wal"
    path.write_bytes(log_of(b"one") + encode_record(b"two")[:6])
    wal = FileWal(path)
    assert wal.records() == (b"one",)
    assert wal.torn_bytes == 6
    assert path.stat().st_size == len(log_of(b"one"))
    wal.append(b"three")
    wal.sync()
    wal.close()
    assert FileWal(path).records() == (b"one", b"three")


def test_file_log_refuses_corruption_in_the_middle(tmp_path: Path):
    path = tmp_path / "signing.wal"
    data = bytearray(log_of(b"one", b"two"))
    data[HEADER.size] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(WalCorrupt):
        FileWal(path)


def test_file_log_rewrite_is_whole(tmp_path: Path):
    path = tmp_path / "signing.wal"
    wal = FileWal(path)
    for i in range(5):
        wal.append(b"record %d" % i)
    wal.sync()
    wal.rewrite([b"kept"])
    wal.append(b"after")
    wal.sync()
    wal.close()
    assert FileWal(path).records() == (b"kept", b"after")
    assert not (tmp_path / "signing.wal.tmp").exists()


# -- the signing guard -------------------------------------------------------------------


def test_the_guard_logs_before_it_signs():
    wal = MemoryWal()
    guard = SigningGuard(CHAIN, signer, wal)
    signature = guard.sign_vote(PREVOTE, 1, 0, V)
    assert signature == signer(vote_bytes(CHAIN, PREVOTE, 1, 0, V))
    assert wal.synced == len(wal.data) > 0
    assert [Signed.decode(p) for p in scan_log(bytes(wal.data)).payloads] == [
        Signed(1, 0, PREVOTE, V)
    ]


def test_the_guard_refuses_a_conflicting_vote_for_a_step_it_signed():
    guard = SigningGuard(CHAIN, signer, MemoryWal())
    guard.sign_vote(PREVOTE, 1, 0, V)
    with pytest.raises(SignRefused) as e:
        guard.sign_vote(PREVOTE, 1, 0, NIL)
    assert e.value.code == "sign.conflict"


def test_the_guard_signs_the_same_message_again():
    guard = SigningGuard(CHAIN, signer, MemoryWal())
    first = guard.sign_proposal(1, 2, V, 0)
    assert guard.sign_proposal(1, 2, V, 0) == first
    with pytest.raises(SignRefused):
        guard.sign_proposal(1, 2, V, 1)  # the same value with another POL round conflicts


def test_the_guard_signs_again_what_it_signed_in_the_last_two_rounds_only():
    guard = SigningGuard(CHAIN, signer, MemoryWal())
    old = guard.sign_vote(PREVOTE, 1, 0, V)
    guard.sign_vote(PREVOTE, 1, 1, NIL)
    recent = guard.sign_vote(PRECOMMIT, 1, 1, NIL)
    guard.sign_vote(PREVOTE, 1, 2, W)
    assert guard.sign_vote(PRECOMMIT, 1, 1, NIL) == recent
    assert [s.position for s in guard.recent(1)] == [(1, 1, 1), (1, 1, 2), (1, 2, 1)]
    with pytest.raises(SignRefused):
        guard.sign_vote(PREVOTE, 1, 0, V)  # too old to be kept: refused, though the same
    assert old
    assert guard.recent(2) == ()


def test_the_guard_never_goes_backwards():
    guard = SigningGuard(CHAIN, signer, MemoryWal())
    guard.sign_vote(PRECOMMIT, 2, 1, NIL)
    for height, round_, step in ((2, 1, PREVOTE), (2, 0, PRECOMMIT), (1, 5, PREVOTE)):
        with pytest.raises(SignRefused) as e:
            guard.sign_vote(step, height, round_, NIL)
        assert e.value.code == "sign.regression"
    guard.sign_vote(PREVOTE, 2, 2, V)  # forward is fine


def test_a_restarted_guard_refuses_what_it_would_have_conflicted_with(tmp_path: Path):
    path = tmp_path / "signing.wal"
    wal = FileWal(path)
    guard = SigningGuard(CHAIN, signer, wal)
    guard.sign_proposal(4, 1, V, -1)
    guard.sign_vote(PREVOTE, 4, 1, V)
    wal.close()

    wal = FileWal(path)
    restarted = SigningGuard(CHAIN, signer, wal)
    with pytest.raises(SignRefused):
        restarted.sign_vote(PREVOTE, 4, 1, NIL)
    with pytest.raises(SignRefused):
        restarted.sign_proposal(4, 1, W, -1)
    assert restarted.last == Signed(4, 1, PREVOTE, V)
    assert restarted.sign_vote(PREVOTE, 4, 1, V) == signer(vote_bytes(CHAIN, PREVOTE, 4, 1, V))
    wal.close()


def test_a_restarted_guard_gives_back_the_lock(tmp_path: Path):
    path = tmp_path / "signing.wal"
    wal = FileWal(path)
    guard = SigningGuard(CHAIN, signer, wal)
    guard.sign_vote(PRECOMMIT, 4, 1, V, polka=b"the prevotes")  # L36-L41: V is locked
    guard.sign_vote(PREVOTE, 4, 2, NIL)
    guard.sign_vote(PRECOMMIT, 4, 2, NIL)
    wal.close()
    wal = FileWal(path)
    restarted = SigningGuard(CHAIN, signer, wal)
    lock = restarted.lock(4)
    assert lock is not None
    assert (lock.round, lock.value_id, lock.polka) == (1, V, b"the prevotes")
    assert restarted.lock(5) is None
    wal.close()


def test_a_crash_in_the_middle_of_a_log_write_leaves_nothing_signed():
    wal = MemoryWal()
    guard = SigningGuard(CHAIN, signer, wal)
    guard.sign_vote(PREVOTE, 1, 0, V)
    # The next write is torn by a crash before the sync: no signature was returned.
    wal.append(Signed(1, 0, PRECOMMIT, V).encode())
    restarted_wal = wal.after_crash(unsynced_kept=7)
    assert restarted_wal.torn_bytes == 7
    restarted = SigningGuard(CHAIN, signer, restarted_wal)
    assert restarted.last == Signed(1, 0, PREVOTE, V)
    assert restarted.lock(1) is None
    # It may now precommit anything at that step: it never signed one.
    restarted.sign_vote(PRECOMMIT, 1, 0, NIL)


def test_the_log_is_compacted_to_the_last_step_and_the_lock(tmp_path: Path):
    path = tmp_path / "signing.wal"
    wal = FileWal(path)
    guard = SigningGuard(CHAIN, signer, wal, max_records=8)
    guard.sign_vote(PRECOMMIT, 1, 0, V, polka=b"the prevotes")
    for round_ in range(1, 10):
        guard.sign_vote(PREVOTE, 1, round_, NIL)
    wal.close()
    wal = FileWal(path)
    assert len(wal.records()) <= 8
    restarted = SigningGuard(CHAIN, signer, wal)
    assert restarted.lock(1) == Signed(1, 0, PRECOMMIT, V)
    assert restarted.lock(1).polka == b"the prevotes"
    assert restarted.last == Signed(1, 9, PREVOTE, NIL)
    wal.close()


def test_a_log_that_goes_backwards_is_refused():
    wal = MemoryWal(log_of(Signed(2, 0, PREVOTE, V).encode(), Signed(1, 0, PREVOTE, V).encode()))
    with pytest.raises(WalCorrupt) as e:
        SigningGuard(CHAIN, signer, wal)
    assert e.value.code == "wal.out_of_order"


def test_the_guard_signs_the_canonical_bytes():
    guard = SigningGuard(CHAIN, signer, MemoryWal())
    assert guard.sign_proposal(1, 1, V, 0) == signer(proposal_bytes(CHAIN, 1, 1, V, 0))
    assert Signed(1, 1, PROPOSAL_STEP, V, 0).position == (1, 1, 0)
    assert MAX_RECORDS >= 2
