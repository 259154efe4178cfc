"""Synthetic identifiers in their real formats: MBI, NPI, TIN, CCN, claim numbers.

- MBI: the CMS "Understanding the MBI" format, 11 characters; position 1 numeric 1-9;
  2, 5, 8, 9 alphabetic; 4, 7, 10, 11 numeric; 3 and 6 alphanumeric; letters exclude
  S, L, O, I, B, Z.
- NPI: 10 digits, the last a Luhn check digit computed over the prefix 80840 plus the first
  nine digits (CMS NPI standard, "check digit" annex).
- CCN: 2-digit state code + 4-digit facility number in the range of the facility type
  (CMS State Operations Manual ch. 2, e.g. 0001-0879 short-term hospitals).
"""

from __future__ import annotations

import numpy as np

MBI_LETTERS = np.frombuffer(b"ACDEFGHJKMNPQRTUVWXY", dtype=np.uint8)
MBI_ALNUM = np.concatenate([np.frombuffer(b"0123456789", dtype=np.uint8), MBI_LETTERS])
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
_NONZERO = np.frombuffer(b"123456789", dtype=np.uint8)

# per position: the alphabet the character is drawn from
_MBI_POSITIONS = (_NONZERO, MBI_LETTERS, MBI_ALNUM, _DIGITS, MBI_LETTERS, MBI_ALNUM,
                  _DIGITS, MBI_LETTERS, MBI_LETTERS, _DIGITS, _DIGITS)


def _draw_mbis(rng: np.random.Generator, n: int) -> np.ndarray:
    out = np.empty((n, 11), dtype=np.uint8)
    for i, alphabet in enumerate(_MBI_POSITIONS):
        out[:, i] = alphabet[rng.integers(0, alphabet.shape[0], n)]
    return out.view("S11").reshape(n)


def unique_mbis(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` distinct MBIs (bytes, S11), in draw order."""
    mbis = _draw_mbis(rng, n)
    while True:
        _, first = np.unique(mbis, return_index=True)
        if first.shape[0] == n:
            return mbis
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        mbis[dup] = _draw_mbis(rng, int(dup.sum()))


def is_valid_mbi(value: str) -> bool:
    if len(value) != 11:
        return False
    raw = value.encode("ascii", "replace")
    return all(raw[i] in _MBI_POSITIONS[i].tobytes() for i in range(11))


def npi_check_digit(base9: np.ndarray) -> np.ndarray:
    """Luhn check digit of 9-digit NPI bases (int64), with the 80840 prefix."""
    base = np.asarray(base9, dtype=np.int64)
    total = np.full(base.shape, 24, dtype=np.int64)  # the prefix 80840 contributes 24
    rest = base.copy()
    for pos in range(9):  # pos 0 is the rightmost digit of the base: doubled
        d = rest % 10
        rest //= 10
        if pos % 2 == 0:
            d = d * 2
            d = np.where(d > 9, d - 9, d)
        total += d
    return (10 - total % 10) % 10


def npis(rng: np.random.Generator, n: int, first_digit: int = 1) -> np.ndarray:
    """`n` distinct valid NPIs as S10 bytes, starting with `first_digit` (1 or 2)."""
    lo = first_digit * 10**8
    base = lo + rng.choice(10**8, size=n, replace=False).astype(np.int64)
    full = base * 10 + npi_check_digit(base)
    return full.astype("S10")


def is_valid_npi(value: str) -> bool:
    if len(value) != 10 or not value.isdigit():
        return False
    return int(npi_check_digit(np.array([int(value[:9])]))[0]) == int(value[9])


_EIN_PREFIXES = np.array([10, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23, 24, 25, 26, 27, 30, 31,
                          32, 33, 34, 35, 36, 37, 38, 39, 41, 42, 43, 44, 45, 46, 47, 48, 50,
                          51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67,
                          68, 71, 72, 73, 74, 75, 76, 77, 80, 81, 82, 83, 84, 85, 86, 87, 88,
                          90, 91, 92, 93, 94, 95, 98, 99])


def tins(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` distinct 9-digit TINs (EIN-style prefixes) as S9 bytes."""
    prefix = _EIN_PREFIXES[rng.integers(0, _EIN_PREFIXES.shape[0], n)]
    body = rng.choice(10**7, size=n, replace=False)
    return np.char.zfill((prefix * 10**7 + body).astype("S9"), 9)


CCN_RANGES: dict[str, tuple[int, int]] = {
    "hospital": (1, 879),
    "cah": (1300, 1399),
    "hospice": (1500, 1799),
    "dialysis": (2300, 2499),
    "snf": (5000, 6499),
    "hha": (7000, 8499),
}
"""Facility-number ranges of the CCN's last four digits (SOM ch. 2, 2779A1)."""


def ccns(rng: np.random.Generator, n: int, kind: str, state_code: str) -> np.ndarray:
    lo, hi = CCN_RANGES[kind]
    num = lo + rng.choice(hi - lo + 1, size=n, replace=False)
    return np.array([f"{state_code}{v:04d}" for v in num], dtype="S6")
