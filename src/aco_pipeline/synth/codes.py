"""Small, plausible code lists the generator draws from (ICD-10, HCPCS, DRG, revenue, NDC).

These are illustrative values with rough 2024 Medicare payment levels, not fee schedules.
None of them is in the substance-use tables of CCLF IP v40 Appendix A (checked by
tests/synth/test_no_sud_codes.py against `sud_codes_ip_v40.csv`). Diagnosis and procedure
codes are written without the decimal point, as CCLF fields carry them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

# --- diagnoses --------------------------------------------------------------------------

CHRONIC_DX: tuple[str, ...] = (
    "I10",
    "E119",
    "E785",
    "I2510",
    "N1831",
    "N1832",
    "N184",
    "E039",
    "J449",
    "I4891",
    "I5022",
    "I5032",
    "F0390",
    "G4733",
    "M1990",
    "E6601",
    "Z794",
    "Z7901",
    "K219",
    "M5450",
    "E1122",
    "E1165",
    "D649",
    "N400",
    "H2513",
    "R5383",
    "M810",
    "G309",
    "J45909",
    "I739",
    "E1142",
    "Z951",
    "Z950",
    "I480",
    "R2681",
    "Z9181",
    "F329",
    "F419",
    "M6281",
    "E559",
)
"""Secondary / office-visit diagnoses (CCLF4 'D' rows, CCLF5 claim diagnoses)."""

SCREENING_DX: tuple[str, ...] = ("Z0000", "Z23", "Z1231", "Z1211", "R079", "R0602")
ONCOLOGY_DX: tuple[str, ...] = ("C3490", "C50911", "C61", "C189")
ESRD_DX: tuple[str, ...] = ("N186", "Z992")
EYE_DX: tuple[str, ...] = ("H3530", "H2513")
FALL_EXTERNAL_CAUSE = "W19XXXA"


@dataclass(frozen=True, slots=True)
class Drg:
    code: str
    weight: float  # relative weight (payment = weight x base rate)
    los: float  # mean length of stay, days
    principal_dx: tuple[str, ...]
    procedures: tuple[str, ...]  # ICD-10-PCS


DRGS: tuple[tuple[Drg, float], ...] = (
    (Drg("871", 1.9, 6.0, ("A419",), ("30233N1",)), 7.0),
    (Drg("872", 1.0, 4.2, ("A419",), ()), 6.0),
    (Drg("291", 1.3, 4.8, ("I5023", "I5033", "I110"), ()), 8.0),
    (Drg("292", 0.9, 3.8, ("I5033", "I110"), ()), 4.0),
    (Drg("190", 1.1, 4.3, ("J441",), ()), 5.0),
    (Drg("193", 1.3, 5.0, ("J189",), ()), 4.0),
    (Drg("194", 0.9, 3.9, ("J189",), ()), 4.0),
    (Drg("690", 0.8, 3.4, ("N390",), ()), 4.0),
    (Drg("470", 1.9, 2.2, ("M1711", "M1611"), ("0SRC0J9", "0SRB0J9")), 5.0),
    (Drg("480", 3.0, 6.8, ("S72001A",), ("0QS604Z",)), 1.5),
    (Drg("481", 2.1, 5.1, ("S72001A",), ("0QS604Z",)), 2.0),
    (Drg("064", 1.8, 5.6, ("I639",), ()), 1.5),
    (Drg("065", 1.0, 3.8, ("I639",), ()), 3.0),
    (Drg("247", 2.0, 2.4, ("I214",), ("02703DZ", "4A023N7", "B2111ZZ")), 2.0),
    (Drg("280", 1.7, 4.8, ("I214",), ()), 2.0),
    (Drg("309", 0.9, 3.0, ("I4891",), ()), 3.0),
    (Drg("682", 1.5, 5.6, ("N179",), ()), 2.5),
    (Drg("683", 0.9, 4.0, ("N179",), ()), 3.5),
    (Drg("378", 1.0, 4.0, ("K922",), ("0DB68ZX",)), 2.5),
    (Drg("392", 0.7, 3.2, ("K5730",), ()), 3.0),
    (Drg("603", 0.8, 4.0, ("L03115",), ()), 2.5),
    (Drg("640", 1.1, 4.2, ("E871",), ()), 2.0),
    (Drg("312", 0.8, 2.6, ("R55",), ()), 2.0),
    (Drg("313", 0.6, 1.8, ("R0789",), ()), 1.5),
    (Drg("189", 1.2, 4.3, ("J810", "J9601"), ()), 2.0),
    (Drg("853", 4.9, 12.0, ("A419",), ("0W9G3ZZ", "30233N1")), 0.6),
    (Drg("207", 5.5, 13.5, ("J9601",), ("5A1955Z", "0BH17EZ")), 0.5),
)
"""MS-DRGs with rough FY2024 weights and a relative frequency among admissions."""

IP_BASE_RATE_CENTS = 680_000  # ~ operating + capital base rate, dollars 6,800

# --- revenue centre lines ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RevLine:
    rev: str
    hcpcs: str
    share: float  # share of the claim payment allocated to this line
    units: int = 1


@dataclass(frozen=True, slots=True)
class OutpatientVisit:
    name: str
    weight: float
    mean_paid_cents: int
    sigma: float
    lines: tuple[RevLine, ...]
    optional: tuple[tuple[RevLine, float], ...]  # (line, probability)
    apc: str
    dx: tuple[str, ...]


OP_VISITS: tuple[OutpatientVisit, ...] = (
    OutpatientVisit(
        "ed",
        10.0,
        62_000,
        0.6,
        (RevLine("0450", "99284", 0.55),),
        (
            (RevLine("0300", "80053", 0.08), 0.7),
            (RevLine("0305", "85025", 0.05), 0.7),
            (RevLine("0324", "71046", 0.07), 0.4),
            (RevLine("0350", "70450", 0.2), 0.25),
            (RevLine("0636", "J2405", 0.02), 0.3),
            (RevLine("0981", "99284", 0.1), 0.15),
        ),
        "05024",
        ("R079", "R0602", "R55", "N390", "J189"),
    ),
    OutpatientVisit(
        "clinic",
        26.0,
        12_000,
        0.35,
        (RevLine("0510", "G0463", 1.0),),
        ((RevLine("0300", "80053", 0.1), 0.2),),
        "05012",
        CHRONIC_DX[:12],
    ),
    OutpatientVisit(
        "lab",
        24.0,
        4_500,
        0.5,
        (RevLine("0300", "80053", 0.5), RevLine("0305", "85025", 0.3)),
        ((RevLine("0300", "36415", 0.05), 0.6), (RevLine("0301", "83036", 0.15), 0.3)),
        "05734",
        CHRONIC_DX[:10],
    ),
    OutpatientVisit(
        "imaging",
        14.0,
        28_000,
        0.5,
        (RevLine("0350", "74177", 1.0),),
        ((RevLine("0610", "70551", 0.8), 0.25), (RevLine("0402", "76700", 0.4), 0.2)),
        "05522",
        ("R079", "R1084", "G4733", "R0602"),
    ),
    OutpatientVisit(
        "surgery",
        4.0,
        280_000,
        0.5,
        (RevLine("0360", "66984", 0.75), RevLine("0710", "", 0.1), RevLine("0250", "", 0.05)),
        ((RevLine("0370", "", 0.1), 0.8),),
        "05491",
        ("H2513", "M1711", "K5730"),
    ),
    OutpatientVisit(
        "infusion",
        2.0,
        350_000,
        0.9,
        (RevLine("0260", "96413", 0.1), RevLine("0636", "J9271", 0.85)),
        ((RevLine("0636", "J2405", 0.05), 0.8),),
        "05694",
        ONCOLOGY_DX,
    ),
    OutpatientVisit(
        "observation",
        3.0,
        240_000,
        0.4,
        (RevLine("0762", "G0378", 0.7, 24), RevLine("0450", "99285", 0.2)),
        ((RevLine("0300", "80053", 0.05), 0.8), (RevLine("0730", "93005", 0.05), 0.7)),
        "08011",
        ("R079", "R55", "I4891"),
    ),
    OutpatientVisit(
        "rehab",
        9.0,
        11_000,
        0.4,
        (RevLine("0420", "97110", 1.0, 3),),
        ((RevLine("0420", "97140", 0.3, 2), 0.5),),
        "05732",
        ("M1711", "M6281", "R2681"),
    ),
    OutpatientVisit(
        "cardiac",
        8.0,
        22_000,
        0.4,
        (RevLine("0480", "93306", 0.9),),
        ((RevLine("0730", "93005", 0.1), 0.6),),
        "05523",
        ("I4891", "I5032", "I2510"),
    ),
)
"""Outpatient (claim type 40, bill type 13x) visit kinds. ED visits (revenue centre 0450,
and 0981 professional fees) are ~10% of outpatient claims."""

DIALYSIS_LINES = (RevLine("0821", "90999", 0.9, 13), RevLine("0636", "J0887", 0.1))
DIALYSIS_MONTH_CENTS = 320_000

IP_REV_LINES: tuple[tuple[str, float], ...] = (
    ("0120", 1.0),
    ("0250", 0.95),
    ("0300", 0.95),
    ("0270", 0.7),
    ("0320", 0.5),
    ("0730", 0.5),
    ("0410", 0.35),
    ("0420", 0.4),
    ("0200", 0.2),
    ("0360", 0.25),
    ("0350", 0.3),
    ("0636", 0.5),
)
"""Inpatient revenue centres with the probability a stay has one (paid at the header by
DRG, so their line payments are zero, IP v40 3.5)."""

SNF_HIPPS: tuple[str, ...] = ("KAGD1", "HCNF1", "LDKE1", "JBMC1", "NAJD1")
HHA_HIPPS: tuple[str, ...] = ("1FC11", "2HA21", "1DC31", "2CB11")
SNF_DAY_CENTS = 58_000
HHA_PERIOD_CENTS = 205_000
HOSPICE_DAY_CENTS = 21_800
SNF_COINSURANCE_DAY_CENTS = 20_400  # CY2024 SNF coinsurance per day after day 20

PART_A_DEDUCTIBLE_CENTS: dict[int, int] = {
    2022: 155_600,
    2023: 160_000,
    2024: 163_200,
    2025: 167_600,
    2026: 173_600,
}

# --- Part B (CCLF5) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BLine:
    hcpcs: str
    paid_cents: int
    betos: str
    tos: str  # CLM_FED_TYPE_SRVC_CD
    units: int = 1
    modifier: str = ""


@dataclass(frozen=True, slots=True)
class PartBVisit:
    name: str
    weight: float
    choices: tuple[tuple[BLine, float], ...]  # the visit's main line, weighted
    extras: tuple[tuple[BLine, float], ...]  # extra lines with probabilities
    repeat: tuple[int, int]  # (min, max) copies of the main line (e.g. hospital days)
    pos: tuple[str, ...]
    specialty: tuple[str, ...]
    dx: tuple[str, ...]


_EM = (
    (BLine("99212", 4_300, "M1B", "1"), 0.06),
    (BLine("99213", 7_400, "M1B", "1"), 0.40),
    (BLine("99214", 10_600, "M1B", "1"), 0.38),
    (BLine("99215", 14_400, "M1B", "1"), 0.09),
    (BLine("99204", 13_000, "M1A", "1"), 0.04),
    (BLine("99203", 8_800, "M1A", "1"), 0.03),
)

PART_B_VISITS: tuple[PartBVisit, ...] = (
    PartBVisit(
        "office",
        34.0,
        _EM,
        (
            (BLine("G2211", 1_300, "M1B", "1"), 0.3),
            (BLine("36415", 300, "T1A", "5"), 0.2),
            (BLine("93000", 1_400, "T2A", "1"), 0.08),
            (BLine("90662", 5_500, "O1D", "V"), 0.05),
            (BLine("G0008", 3_000, "O1D", "1"), 0.05),
            (BLine("20610", 5_000, "P6C", "2"), 0.04),
            (BLine("99497", 7_000, "M5D", "1"), 0.02),
        ),
        (1, 1),
        ("11",),
        ("08", "11", "01", "50", "97", "06", "13"),
        CHRONIC_DX,
    ),
    PartBVisit(
        "lab",
        16.0,
        (
            (BLine("80053", 1_000, "T1B", "5"), 0.3),
            (BLine("85025", 800, "T1H", "5"), 0.25),
            (BLine("80061", 1_300, "T1B", "5"), 0.15),
            (BLine("83036", 1_000, "T1H", "5"), 0.15),
            (BLine("84443", 1_600, "T1H", "5"), 0.15),
        ),
        (
            (BLine("81001", 300, "T1D", "5"), 0.4),
            (BLine("82306", 2_900, "T1H", "5"), 0.3),
            (BLine("85610", 400, "T1H", "5"), 0.2),
            (BLine("82570", 500, "T1H", "5"), 0.4),
            (BLine("84153", 1_800, "T1H", "5"), 0.1),
        ),
        (1, 1),
        ("81", "11"),
        ("69",),
        CHRONIC_DX,
    ),
    PartBVisit(
        "imaging",
        9.0,
        (
            (BLine("71046", 2_700, "I1A", "4"), 0.3),
            (BLine("70450", 3_600, "I2A", "4", 1, "26"), 0.12),
            (BLine("74177", 7_600, "I2C", "4", 1, "26"), 0.1),
            (BLine("70551", 6_600, "I3A", "4", 1, "26"), 0.07),
            (BLine("93306", 6_400, "I3B", "4", 1, "26"), 0.12),
            (BLine("77067", 13_000, "I1E", "4"), 0.12),
            (BLine("76700", 3_000, "I3F", "4", 1, "26"), 0.09),
            (BLine("78452", 9_000, "I4B", "4", 1, "26"), 0.04),
            (BLine("93880", 6_200, "I3C", "4"), 0.04),
        ),
        (),
        (1, 1),
        ("22", "11", "19"),
        ("30", "06"),
        ("R079", "R0602", "G4733", "I4891", "Z1231"),
    ),
    PartBVisit(
        "hospital",
        6.0,
        ((BLine("99232", 7_400, "M2B", "1"), 0.6), (BLine("99233", 10_900, "M2B", "1"), 0.4)),
        ((BLine("99223", 18_600, "M2A", "1"), 0.8), (BLine("99239", 11_000, "M2B", "1"), 0.6)),
        (1, 5),
        ("21",),
        ("11", "06", "13", "29"),
        ("A419", "I5023", "J189", "N179", "J441"),
    ),
    PartBVisit(
        "ed",
        4.5,
        (
            (BLine("99283", 6_400, "M3", "1"), 0.35),
            (BLine("99284", 10_900, "M3", "1"), 0.45),
            (BLine("99285", 15_900, "M3", "1"), 0.20),
        ),
        ((BLine("93010", 800, "T2A", "1", 1, ""), 0.3),),
        (1, 1),
        ("23",),
        ("93",),
        ("R079", "R0602", "R55", "N390", "S72001A"),
    ),
    PartBVisit(
        "therapy",
        5.0,
        (
            (BLine("97110", 2_900, "P5E", "1", 2), 0.5),
            (BLine("97140", 2_600, "P5E", "1", 2), 0.2),
            (BLine("97530", 3_300, "P5E", "1", 2), 0.2),
            (BLine("97161", 9_800, "P5E", "1"), 0.1),
        ),
        ((BLine("97116", 2_700, "P5E", "1"), 0.3),),
        (1, 2),
        ("11",),
        ("65", "67"),
        ("M1711", "M6281", "R2681", "M5450"),
    ),
    PartBVisit(
        "eye",
        4.0,
        (
            (BLine("92014", 12_000, "M1B", "1"), 0.6),
            (BLine("92134", 3_900, "I4A", "1"), 0.25),
            (BLine("67028", 10_000, "P6C", "2"), 0.15),
        ),
        ((BLine("J0178", 185_000, "O1D", "1"), 0.12),),
        (1, 1),
        ("11",),
        ("18", "41"),
        EYE_DX,
    ),
    PartBVisit(
        "skin_foot",
        4.0,
        (
            (BLine("11721", 4_500, "P6C", "2"), 0.4),
            (BLine("17000", 6_000, "P6C", "2"), 0.3),
            (BLine("11102", 9_500, "P6C", "2"), 0.2),
            (BLine("17110", 11_000, "P6C", "2"), 0.1),
        ),
        ((BLine("11055", 3_200, "P6C", "2"), 0.2),),
        (1, 1),
        ("11",),
        ("48", "07"),
        ("L03115", "E1142", "I739"),
    ),
    PartBVisit(
        "surgery",
        1.6,
        (
            (BLine("66984", 54_000, "P4B", "2"), 0.35),
            (BLine("45378", 22_000, "P8D", "2"), 0.25),
            (BLine("27447", 140_000, "P2F", "2"), 0.12),
            (BLine("29881", 50_000, "P2F", "2"), 0.1),
            (BLine("92928", 65_000, "P4A", "2"), 0.08),
            (BLine("33208", 50_000, "P4A", "2"), 0.05),
            (BLine("93458", 30_000, "I4B", "2"), 0.05),
        ),
        ((BLine("99024", 0, "M5D", "1"), 0.3),),
        (1, 1),
        ("24", "22", "21"),
        ("20", "18", "06", "02"),
        ("H2513", "Z1211", "M1711", "I214", "I4891"),
    ),
    PartBVisit(
        "oncology",
        0.9,
        (
            (BLine("J9271", 1_050_000, "O1D", "1", 100), 0.35),
            (BLine("J9299", 760_000, "O1D", "1", 240), 0.2),
            (BLine("J2505", 350_000, "O1D", "1", 6), 0.15),
            (BLine("J0897", 125_000, "O1D", "1", 60), 0.15),
            (BLine("J9035", 250_000, "O1D", "1", 50), 0.15),
        ),
        (
            (BLine("96413", 14_000, "P6C", "1"), 0.9),
            (BLine("96415", 3_000, "P6C", "1"), 0.5),
            (BLine("99214", 10_600, "M1B", "1"), 0.6),
        ),
        (1, 1),
        ("11", "22"),
        ("90", "83"),
        ONCOLOGY_DX,
    ),
    PartBVisit(
        "wellness",
        2.5,
        ((BLine("G0439", 13_000, "M5D", "1"), 0.85), (BLine("G0438", 19_000, "M5D", "1"), 0.15)),
        ((BLine("99497", 7_000, "M5D", "1"), 0.15), (BLine("G0444", 1_800, "M5D", "1"), 0.3)),
        (1, 1),
        ("11",),
        ("08", "11", "50"),
        ("Z0000",),
    ),
    PartBVisit(
        "care_mgmt",
        3.0,
        (
            (BLine("99490", 6_000, "M5D", "1"), 0.6),
            (BLine("99454", 4_700, "M5D", "1"), 0.2),
            (BLine("99457", 4_600, "M5D", "1"), 0.2),
        ),
        ((BLine("99439", 4_600, "M5D", "1"), 0.3),),
        (1, 1),
        ("11",),
        ("08", "11"),
        CHRONIC_DX,
    ),
    PartBVisit(
        "telehealth",
        2.0,
        (
            (BLine("99213", 7_400, "M1B", "1", 1, "95"), 0.6),
            (BLine("99214", 10_600, "M1B", "1", 1, "95"), 0.4),
        ),
        (),
        (1, 1),
        ("10", "02"),
        ("08", "11", "26"),
        CHRONIC_DX,
    ),
    PartBVisit(
        "behavioral",
        1.0,
        (
            (BLine("90834", 9_600, "M5C", "1"), 0.5),
            (BLine("90837", 13_100, "M5C", "1"), 0.3),
            (BLine("90792", 17_800, "M5C", "1"), 0.2),
        ),
        (),
        (1, 1),
        ("11", "10"),
        ("26", "86", "62"),
        ("F329", "F419"),
    ),
    PartBVisit(
        "ambulance",
        0.8,
        ((BLine("A0427", 45_000, "O1A", "D"), 0.7), (BLine("A0429", 38_000, "O1A", "D"), 0.3)),
        ((BLine("A0425", 850, "O1A", "D", 9), 1.0),),
        (1, 1),
        ("41",),
        ("59",),
        ("R079", "S72001A", "R55", FALL_EXTERNAL_CAUSE),
    ),
    PartBVisit(
        "nursing_facility",
        1.5,
        ((BLine("99309", 9_800, "M4B", "1"), 0.6), (BLine("99310", 13_500, "M4B", "1"), 0.4)),
        (),
        (1, 3),
        ("31", "32"),
        ("08", "11", "50"),
        ("F0390", "G309", "R2681"),
    ),
)

# --- DME (CCLF6) ------------------------------------------------------------------------

DME_ITEMS: tuple[tuple[BLine, float], ...] = (
    (BLine("E1390", 7_000, "D1C", "R"), 0.12),
    (BLine("E0601", 6_200, "D1C", "R"), 0.10),
    (BLine("A7030", 7_000, "D1A", "9"), 0.06),
    (BLine("A7034", 5_200, "D1A", "9"), 0.04),
    (BLine("A4253", 1_000, "D1A", "9", 2), 0.12),
    (BLine("E2103", 8_500, "D1C", "R"), 0.05),
    (BLine("A4239", 13_500, "D1A", "9"), 0.07),
    (BLine("E0143", 5_500, "D1D", "P"), 0.08),
    (BLine("K0001", 4_000, "D1D", "R"), 0.06),
    (BLine("E0260", 10_500, "D1C", "R"), 0.05),
    (BLine("L1833", 50_000, "D1F", "P"), 0.06),
    (BLine("B4035", 30_000, "D1G", "9"), 0.03),
    (BLine("K0823", 390_000, "D1D", "P"), 0.01),
    (BLine("E0431", 2_200, "D1C", "R"), 0.08),
    (BLine("A4604", 1_600, "D1A", "9"), 0.07),
)
DME_SPECIALTY = "A5"

# --- Part D (CCLF7) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Drug:
    ndc: str  # synthetic 11-digit NDC in the real 5-4-2 labeler/product/package shape
    days: int
    qty_per_30: int
    copay_cents: int  # typical beneficiary payment per 30 days
    weight: float
    acute: bool = False


DRUGS: tuple[Drug, ...] = (
    Drug("00093505898", 30, 30, 200, 12.0),
    Drug("68180051302", 30, 30, 150, 10.0),
    Drug("00378339593", 30, 30, 100, 9.0),
    Drug("16714065103", 30, 60, 300, 9.0),
    Drug("00378180110", 30, 30, 400, 8.0),
    Drug("62175011843", 30, 30, 500, 7.0),
    Drug("68180037909", 30, 30, 250, 7.0),
    Drug("00904632961", 30, 60, 300, 6.0),
    Drug("00093715598", 30, 30, 200, 5.0),
    Drug("59762333101", 30, 90, 600, 5.0),
    Drug("00172208370", 30, 30, 100, 4.0),
    Drug("16729000101", 30, 30, 350, 4.0),
    Drug("00228283111", 30, 30, 200, 3.0),
    Drug("00054429725", 30, 30, 150, 3.0),
    Drug("00003089421", 30, 60, 4_700, 5.0),
    Drug("00597015230", 30, 30, 4_500, 3.0),
    Drug("00006027731", 30, 30, 4_700, 2.0),
    Drug("00088221905", 30, 15, 6_000, 2.0),
    Drug("00597007541", 30, 30, 4_700, 1.5),
    Drug("00169413212", 28, 3, 9_000, 1.0),
    Drug("57962014028", 28, 28, 70_000, 0.15),
    Drug("65862001599", 10, 20, 300, 3.0, acute=True),
    Drug("59762314001", 5, 6, 400, 2.0, acute=True),
    Drug("00591544301", 7, 14, 200, 1.5, acute=True),
    Drug("68180012101", 10, 40, 350, 1.5, acute=True),
)

# --- substance-use tables (CCLF IP v40 Appendix A) -------------------------------------

SUD_TABLE = "sud_codes_ip_v40.csv"


@cache
def sud_codes() -> dict[str, frozenset[str]]:
    """IP v40 Appendix A code tables by code system, codes without dots."""
    text = resources.files(__package__).joinpath(SUD_TABLE).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r["code_system"], set()).add(r["code_nodot"])
    return {k: frozenset(v) for k, v in out.items()}


def emitted_code_lists() -> dict[str, frozenset[str]]:
    """Every ICD-10-CM, ICD-10-PCS, HCPCS and MS-DRG code the generator can write."""
    dx = set(CHRONIC_DX + SCREENING_DX + ONCOLOGY_DX + ESRD_DX + EYE_DX + (FALL_EXTERNAL_CAUSE,))
    pcs: set[str] = set()
    drg: set[str] = set()
    for d, _ in DRGS:
        dx.update(d.principal_dx)
        pcs.update(d.procedures)
        drg.add(d.code)
    hcpcs: set[str] = set()
    for v in OP_VISITS:
        dx.update(v.dx)
        hcpcs.update(line.hcpcs for line in v.lines if line.hcpcs)
        hcpcs.update(line.hcpcs for line, _ in v.optional if line.hcpcs)
    hcpcs.update(line.hcpcs for line in DIALYSIS_LINES)
    for b in PART_B_VISITS:
        dx.update(b.dx)
        hcpcs.update(line.hcpcs for line, _ in b.choices + b.extras)
    hcpcs.update(line.hcpcs for line, _ in DME_ITEMS)
    return {
        "icd10_cm": frozenset(dx),
        "icd10_pcs": frozenset(pcs),
        "hcpcs": frozenset(hcpcs),
        "ms_drg": frozenset(drg),
    }
