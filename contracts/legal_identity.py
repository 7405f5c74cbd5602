"""Legal identity checks (实名, §001-二(二)): pure functions over the codes a member's
record carries, each after the standard that defines it. No state, no time.

- 统一社会信用代码 (unified social credit code) of an organisation: GB 32100-2015;
  its positions 9 to 17 are the organisation code of GB 11714-1997.
- 公民身份号码 (resident identity number) of a natural person: GB 11643-1999, whose
  check character is ISO 7064 MOD 11-2. The ledger never holds it in clear (see
  `id_reference`); the wallet checks it before it hashes it.
- 行业 (industry): a section letter of GB/T 4754-2017, A to T.
- 行政区划代码 (administrative division): six digits, GB/T 2260, whose first two name a
  province-level division.
"""

from __future__ import annotations

import hashlib

# GB 32100-2015 §4.2: the 31 characters a code uses (digits and capitals but I, O, S, V,
# Z), each worth its index.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_LENGTH = 18
# GB 32100-2015 §5: the weights of positions 1 to 17, 3**(i-1) mod 31.
CREDIT_CODE_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# GB 11714-1997 §5: the organisation code's eight body characters (digits and capital
# letters, A = 10 ... Z = 35) and their weights; the ninth is the check character.
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# GB 11643-1999 / ISO 7064 MOD 11-2: the weights of the first 17 digits, 2**(17-i) mod 11.
RESIDENT_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
# GB/T 4754-2017: the twenty sections of the industry classification.
INDUSTRY_SECTIONS = "ABCDEFGHIJKLMNOPQRST"
# GB/T 2260: the province-level divisions, the first two digits of a division code.
PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
    "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
    "63", "64", "65", "71", "81", "82",
})
ID_REFERENCE_DOMAIN = b"claimledger/resident-id/v1\x00"


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code whose first 17 are `first17`
    (GB 32100-2015 §5: C18 = 31 - (sum of Ci * Wi mod 31), 31 written as 0)."""
    assert len(first17) == 17 and all(c in CREDIT_CODE_CHARS for c in first17)
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS,
                                                                strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """The check character of a GB 11714-1997 organisation code whose body is `body8`
    (C9 = 11 - (sum of Ci * Wi mod 11); 10 is written X, 11 is written 0)."""
    assert len(body8) == 8 and all(c.isdigit() or "A" <= c <= "Z" for c in body8)
    total = sum(int(c, 36) * w for c, w in zip(body8, ORG_CODE_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def complete_credit_code(first16: str) -> str:
    """The unified social credit code whose first 16 characters are `first16`, with the
    organisation code's check character (position 17) and the code's (position 18)."""
    return _with_check(first16 + org_code_check_char(first16[8:16]))


def _with_check(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


def credit_code_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code, or None when it is.

    GB 32100-2015: 18 characters of the 31 it allows; position 1 the registering
    authority, 2 the kind of organisation, 3 to 8 the administrative division (digits),
    9 to 17 the organisation code of GB 11714-1997 with its own check character at 17,
    and 18 the code's check character over the first 17."""
    if len(code) != CREDIT_CODE_LENGTH:
        return f"a unified social credit code has 18 characters, not {len(code)}"
    wrong = sorted({c for c in code if c not in CREDIT_CODE_CHARS})
    if wrong:
        return (f"{''.join(wrong)!r} is not among the characters a unified social credit "
                "code uses (digits and capitals but I, O, S, V, Z)")
    if not code[2:8].isdigit():
        return "positions 3 to 8 (the administrative division) are digits"
    if code[16] != org_code_check_char(code[8:16]):
        return ("position 17, the check character of the organisation code (GB 11714), "
                "does not match positions 9 to 16")
    if code[17] != credit_code_check_char(code[:17]):
        return "the check character (position 18, GB 32100) does not match"
    return None


def resident_id_problem(number: str) -> str | None:
    """Why `number` is not a valid 18-character resident identity number (GB 11643-1999,
    check character ISO 7064 MOD 11-2), or None when it is."""
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        return "a resident identity number is 17 digits and a check digit or X"
    total = sum(int(c) * w for c, w in zip(number[:17], RESIDENT_ID_WEIGHTS, strict=True))
    if number[17] != "10X98765432"[total % 11]:
        return "the check character (ISO 7064 MOD 11-2) does not match"
    return None


def id_reference(number: str, salt: bytes) -> bytes:
    """The reference a natural person's record carries in place of its identity number:
    sha256(domain, salt, number). A ledger replicated to every node and regulator must hold
    no personal data in clear, and an unsalted hash of a number with so little entropy
    (region, birth date, sequence) is reversed by trying them all; the 32-byte salt stays
    with the agency's sealed review documents, so only those who hold it match a
    presented card against the record."""
    assert len(salt) == 32
    problem = resident_id_problem(number)
    if problem is not None:
        raise ValueError(problem)
    return hashlib.sha256(ID_REFERENCE_DOMAIN + salt + number.encode()).digest()


def industry_problem(code: str) -> str | None:
    """Why `code` is not a GB/T 4754-2017 section letter (A to T), or None."""
    if len(code) != 1 or code not in INDUSTRY_SECTIONS:
        return "an industry is a GB/T 4754-2017 section letter, A to T"
    return None


def region_problem(code: str) -> str | None:
    """Why `code` is not a six-digit administrative division code (GB/T 2260) of a
    province-level division that exists, or None."""
    if len(code) != 6 or not code.isdigit():
        return "a region is a six-digit administrative division code (GB/T 2260)"
    if code[:2] not in PROVINCES:
        return f"{code[:2]} is no province-level division (GB/T 2260)"
    return None
