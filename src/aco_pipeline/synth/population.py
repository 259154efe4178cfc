"""The synthetic beneficiary population: small per-beneficiary state, drawn once per run.

Everything here is per beneficiary (plus a month grid of entitlement and dual status), so
memory grows with N only by a few hundred bytes per person. Claims are drawn later, one
chunk of beneficiaries at a time (claims_*.py).

Rates are rough national Medicare FFS figures: ~17% disabled under 65, ~1% ESRD, ~17% dual,
deaths ~4-5% a year, a few percent opting out of data sharing, ~1.5% with an MBI change.
Names and street addresses come from short, obviously fictitious lists (no real PHI).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aco_pipeline.synth import identifiers

NAT = np.iinfo(np.int64).min
"""Missing day ordinal (views as NaT in datetime64[D])."""
NEVER = 10**9
"""Month ordinal meaning "never" (opt-out, ESRD onset)."""

DUAL_CODES = np.array([b"NA", b"02", b"08", b"01", b"04", b"03", b"06", b"05", b"09"], dtype="S2")
_DUAL_WEIGHTS = np.array([0.45, 0.18, 0.12, 0.10, 0.08, 0.04, 0.01, 0.02])
DUAL_FOR_GUIDE = (1, 3)  # indices of 02 and 01: the guide App. B aged/dual codes
DUAL_LIS = (1, 2, 3, 4)  # 02, 08, 01, 04: duals with Part D low-income cost sharing

FIRST_NAMES_F = ("MARY", "LINDA", "BARBARA", "SUSAN", "DOROTHY", "BETTY", "HELEN", "JOAN",
                 "CAROL", "RUTH", "SHIRLEY", "JUDITH", "NANCY", "PATRICIA", "DONNA", "GLORIA")
FIRST_NAMES_M = ("JAMES", "ROBERT", "JOHN", "WILLIAM", "RICHARD", "CHARLES", "DONALD", "GEORGE",
                 "THOMAS", "JOSEPH", "RONALD", "KENNETH", "LARRY", "GARY", "FRANK", "RAYMOND")
LAST_NAMES = ("TESTPERSON", "SYNTHETIC", "SAMPLECASE", "EXAMPLEDATA", "FAKENAME", "MOCKINGTON",
              "DUMMYFIELD", "PLACEHOLDER", "FICTIONAL", "NOTAREALNAME", "SIMULATED", "DEMOPATIENT",
              "ZZTESTER", "ARTIFICIO", "SYNTHWORTH", "FAUXBENE")
STREETS = ("SYNTHETIC", "SAMPLE", "EXAMPLE", "TESTING", "PLACEHOLDER", "FICTION", "MOCK", "DEMO")
STREET_SUFFIX = ("ST", "AVE", "RD", "LN", "CT", "DR")


@dataclass(frozen=True, slots=True)
class County:
    fips_state: str
    fips_county: str
    ssa: str  # SSA state+county code as in the ALR (see docs: synthetic, alphabetical rule)
    name: str
    state_name: str
    usps: str
    city: str
    zip3: str
    weight: float


# Ohio counties (FIPS state 39, SSA state 36). FIPS county codes are real; SSA county codes
# follow the alphabetical x10 convention and are illustrative, not an authoritative crosswalk.
COUNTIES: tuple[County, ...] = (
    County("39", "049", "36240", "FRANKLIN", "OHIO", "OH", "COLUMBUS", "432", 0.22),
    County("39", "035", "36170", "CUYAHOGA", "OHIO", "OH", "CLEVELAND", "441", 0.20),
    County("39", "061", "36300", "HAMILTON", "OHIO", "OH", "CINCINNATI", "452", 0.13),
    County("39", "153", "36760", "SUMMIT", "OHIO", "OH", "AKRON", "443", 0.09),
    County("39", "113", "36560", "MONTGOMERY", "OHIO", "OH", "DAYTON", "454", 0.08),
    County("39", "095", "36470", "LUCAS", "OHIO", "OH", "TOLEDO", "436", 0.07),
    County("39", "151", "36750", "STARK", "OHIO", "OH", "CANTON", "447", 0.05),
    County("39", "017", "36080", "BUTLER", "OHIO", "OH", "HAMILTON", "450", 0.04),
    County("39", "093", "36460", "LORAIN", "OHIO", "OH", "ELYRIA", "440", 0.04),
    County("39", "041", "36200", "DELAWARE", "OHIO", "OH", "DELAWARE", "430", 0.03),
    County("39", "089", "36440", "LICKING", "OHIO", "OH", "NEWARK", "430", 0.03),
    County("39", "165", "36820", "WARREN", "OHIO", "OH", "LEBANON", "450", 0.02),
)

STATUS_CODES = (10, 11, 20, 21, 31)


@dataclass(slots=True)
class Population:
    """Per-beneficiary state. Day values are int64 day ordinals (NAT = missing)."""

    n: int
    start: int  # first reference month
    end: int  # last reference month
    g0: int  # first month of the status grid (start - 12)
    mbi: np.ndarray  # (n, 3) S11, b"" unused; MBI k is in effect from mbi_eff[:, k]
    mbi_eff: np.ndarray  # (n, 3) int64 days
    n_mbi: np.ndarray  # int8 1..3
    sex: np.ndarray  # S1 '1' male '2' female
    race: np.ndarray  # S1
    dob: np.ndarray  # int64 days
    first_name: np.ndarray
    middle_name: np.ndarray
    last_name: np.ndarray
    address1: np.ndarray
    county: np.ndarray  # int index into COUNTIES
    zip5: np.ndarray
    zip4: np.ndarray
    orig_reason: np.ndarray  # S1
    part_a_start: np.ndarray  # int64 days
    part_b_start: np.ndarray
    status_true: np.ndarray  # (n, G) int8 Medicare status code by grid month
    status_cclf: np.ndarray  # (n, G) the code CCLF8 reports (lags the age-65 switch)
    dual: np.ndarray  # (n, G) uint8 index into DUAL_CODES
    death: np.ndarray  # int64 days or NAT
    death_report: np.ndarray  # int64 days or NAT: when the death reaches CCLF8
    hospice_start: np.ndarray  # int64 days or NAT
    join_mo: np.ndarray  # first reference month the beneficiary is in the ACO's CCLF
    optout_mo: np.ndarray  # first reference month excluded for opting out (NEVER if not)
    exit_mo: np.ndarray  # last monthly delivery reference month listing the beneficiary
    new_enrollee: np.ndarray  # bool: aged in shortly before joining
    partd: np.ndarray  # bool: enrolled in a stand-alone PDP (CCLF7 data)
    risk: np.ndarray  # float: spending multiplier, mean ~1, heavy right tail
    oncology: np.ndarray  # bool
    voluntary: np.ndarray  # bool: voluntarily aligned
    pcp: np.ndarray  # int index into the provider pool's ACO clinicians
    alr_esrd: np.ndarray  # bool: ESRD in the ALR's own source (dialysis/transplant tables)
    alr_dual_lag: np.ndarray  # int8 months the ALR's dual status lags the CCLF's
    alr_dual_flip: np.ndarray  # bool: the ALR's dual source disagrees with the CCLF's

    @property
    def grid_months(self) -> int:
        return self.status_true.shape[1]

    def grid(self, mo: int | np.ndarray) -> int | np.ndarray:
        return mo - self.g0

    def mbi_at(self, idx: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The MBI in effect on `day` for beneficiaries `idx` (vectorised)."""
        eff = self.mbi_eff[idx]
        k = (eff <= day[:, None]).sum(axis=1) - 1
        k = np.clip(k, 0, self.n_mbi[idx] - 1)
        return self.mbi[idx, k]

    def current_mbi(self) -> np.ndarray:
        return self.mbi[np.arange(self.n), self.n_mbi - 1]


def _days(y: int, m: int, d: int = 1) -> int:
    return int(np.datetime64(f"{y:04d}-{m:02d}-{d:02d}", "D").astype(np.int64))


def _month_days(mo: np.ndarray) -> np.ndarray:
    return np.asarray(mo, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]").astype(
        np.int64)


def _choice(rng: np.random.Generator, values: tuple[str, ...], n: int) -> np.ndarray:
    arr = np.array(values, dtype="S")
    return arr[rng.integers(0, len(values), n)]


def build_population(rng: np.random.Generator, n: int, start: int, months: int) -> Population:
    end = start + months - 1
    g0 = start - 12
    grid = months + 12
    start_day = int(_month_days(np.array(start)))

    # --- who joins when: most from the first delivery, some later (new assignment) -----
    n_join = round(n * min(0.25, 0.011 * (months - 1)))
    join_mo = np.full(n, start, dtype=np.int64)
    if n_join and months > 1:
        later = np.arange(start + 1, end + 1)
        w = np.where(later % 12 == 0, 6.0, 1.0)  # January: the new performance year's list
        join_mo[n - n_join:] = rng.choice(later, size=n_join, p=w / w.sum())
    joiner = join_mo > start
    new_enrollee = joiner & (rng.random(n) < 0.35)
    ref_day = _month_days(join_mo)

    # --- category and age ---------------------------------------------------------------
    u = rng.random(n)
    esrd = (u < 0.010) & ~new_enrollee
    disabled = (u >= 0.010) & (u < 0.180) & ~new_enrollee
    esrd_kind = rng.choice(3, size=n, p=[0.3, 0.3, 0.4])  # 31 only / 21 disabled / 11 aged
    disabled |= esrd & (esrd_kind == 1)
    aged_bands = np.array([65, 70, 75, 80, 85, 90])
    band = rng.choice(6, size=n, p=[0.30, 0.28, 0.19, 0.12, 0.07, 0.04])
    age = aged_bands[band] + rng.random(n) * np.where(band == 5, 6, 5)
    dis_band = rng.choice(4, size=n, p=[0.07, 0.10, 0.25, 0.58])
    dis_age = np.array([21, 35, 45, 55])[dis_band] + rng.random(n) * np.array([14, 10, 10, 10])[
        dis_band]
    young = disabled | (esrd & (esrd_kind == 0))
    age = np.where(young, np.minimum(dis_age, 64.99), age)
    age = np.where(new_enrollee, 65 + rng.random(n) * 0.4, age)
    dob = ref_day - (age * 365.25).astype(np.int64)
    dob_m = dob.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    mo65 = dob_m + 65 * 12  # entitlement to aged status from the birthday month

    orig = np.full(n, b"0", dtype="S1")
    orig[disabled] = b"1"
    orig[(~disabled) & (rng.random(n) < 0.10) & ~young] = b"1"  # aged, first entitled DIB
    orig[esrd & (esrd_kind == 0)] = b"2"
    orig[esrd & (esrd_kind == 1)] = b"3"

    # --- entitlement dates ----------------------------------------------------------------
    aged_entitle = _month_days(mo65)
    dis_years = 2 + rng.random(n) * 12
    dis_entitle = _month_days(
        (ref_day - (dis_years * 365.25).astype(np.int64)).astype("datetime64[D]")
         .astype("datetime64[M]").astype(np.int64))
    dis_entitle = np.maximum(dis_entitle, dob + int(21 * 365.25))
    dis_entitle = _month_days(dis_entitle.astype("datetime64[D]").astype("datetime64[M]")
                              .astype(np.int64))
    part_a = np.where(young | (orig == b"1"), dis_entitle, aged_entitle)
    part_a = np.minimum(part_a, ref_day)
    delayed_b = rng.random(n) < 0.06
    part_b = np.where(delayed_b, part_a + (rng.integers(1, 4, n) * 365), part_a)
    part_b = np.minimum(_month_days(part_b.astype("datetime64[D]").astype("datetime64[M]")
                                    .astype(np.int64)), _month_days(join_mo - 1))
    part_b = np.maximum(part_b, part_a)

    # --- monthly Medicare status (true, and as CCLF8 reports it) ------------------------
    months_g = g0 + np.arange(grid)
    is65 = months_g[None, :] >= mo65[:, None]
    esrd_onset = np.where(esrd, g0 - 1, NEVER)
    incident = (~esrd) & (rng.random(n) < 0.0015 * months / 12)
    esrd_onset = np.where(incident, rng.integers(start, end + 1, n), esrd_onset)
    has_esrd = months_g[None, :] >= esrd_onset[:, None]
    dis_now = disabled[:, None] & ~is65
    status = np.where(is65, 10, np.where(dis_now, 20, 31)).astype(np.int8)
    status = np.where(has_esrd & (status == 10), 11, status)
    status = np.where(has_esrd & (status == 20), 21, status)
    # under 65, neither disabled nor ESRD cannot happen; keep such months at 31 only if ESRD
    status = np.where((status == 31) & ~has_esrd, 20, status).astype(np.int8)
    lag65 = rng.choice(4, size=n, p=[0.5, 0.25, 0.15, 0.10])
    in_lag = disabled[:, None] & is65 & (months_g[None, :] < (mo65 + lag65)[:, None])
    status_cclf = np.where(in_lag, np.where(has_esrd, 21, 20), status).astype(np.int8)
    esrd_lag = rng.integers(0, 3, n)
    onset_lag = incident[:, None] & (months_g[None, :] >= esrd_onset[:, None]) & (
        months_g[None, :] < (esrd_onset + esrd_lag)[:, None])
    status_cclf = np.where(onset_lag, np.where(status == 11, 10, 20), status_cclf).astype(np.int8)

    # --- dual status ----------------------------------------------------------------------
    p_dual = np.where(young | esrd, 0.40, 0.12)
    is_dual = rng.random(n) < p_dual
    code = 1 + rng.choice(len(_DUAL_WEIGHTS), size=n, p=_DUAL_WEIGHTS)
    base = np.where(is_dual, code, 0).astype(np.uint8)
    dual = np.repeat(base[:, None], grid, axis=1)
    change = rng.random(n) < 0.04 * max(months, 12) / 12
    change_at = rng.integers(1, grid, n)
    flipped = np.where(base > 0, 0, 1 + rng.choice(len(_DUAL_WEIGHTS), size=n, p=_DUAL_WEIGHTS))
    after = np.arange(grid)[None, :] >= change_at[:, None]
    dual = np.where(change[:, None] & after, flipped[:, None], dual).astype(np.uint8)

    # --- deaths (alive at joining), hospice -------------------------------------------------
    annual = np.select([esrd, young, age < 75, age < 85], [0.18, 0.025, 0.022, 0.05], 0.13)
    hazard = 1 - (1 - annual) ** (1 / 12)
    first_alive_mo = np.maximum(join_mo, start)
    death_mo = first_alive_mo + np.floor(np.log(rng.random(n)) / np.log1p(-hazard)).astype(
        np.int64)
    dies = death_mo <= end
    death_day = _month_days(np.where(dies, death_mo, start)) + rng.integers(0, 28, n)
    death = np.where(dies, death_day, NAT)
    report_lag = np.minimum(rng.exponential(12.0, n).astype(np.int64), 90)
    death_report = np.where(dies, death_day + report_lag, NAT)
    hospice = dies & (rng.random(n) < 0.40)
    hospice_start = np.where(hospice, death_day - rng.integers(3, 120, n), NAT)
    hospice_start = np.where(hospice, np.maximum(hospice_start, part_b), NAT)

    # --- opting out of data sharing ---------------------------------------------------------
    optout = np.full(n, NEVER, dtype=np.int64)
    pre = rng.random(n) < 0.01
    optout[pre] = join_mo[pre]
    during = (~pre) & (rng.random(n) < 0.015 * months / 12)
    optout[during] = join_mo[during] + 1 + rng.integers(0, max(months - 1, 1), int(during.sum()))
    optout = np.where(optout > end, NEVER, optout)

    death_year_end = np.where(dies, (death_mo // 12) * 12 + 11, NEVER)
    exit_mo = np.minimum(np.minimum(optout - 1, death_year_end), end)

    # --- MBIs and MBI changes (never for opt-outs; chains A->B->C for some) ---------------
    mbi = identifiers.unique_mbis(rng, n * 3).reshape(n, 3)
    mbi_eff = np.full((n, 3), NAT, dtype=np.int64)
    mbi_rollout = _days(2019, 4)
    first_eff = np.maximum(part_a, mbi_rollout) + rng.integers(0, 60, n)
    first_eff = np.minimum(first_eff, _month_days(join_mo) - 1)
    mbi_eff[:, 0] = first_eff
    n_mbi = np.ones(n, dtype=np.int8)
    last_ok = np.where(dies, np.minimum(exit_mo, death_mo - 1), exit_mo)
    can = (optout == NEVER) & (last_ok >= join_mo)
    pre_change = can & (rng.random(n) < 0.005) & (first_eff < start_day - 400)
    eff1_pre = start_day - rng.integers(30, 360, n)
    one = can & ~pre_change & (rng.random(n) < 0.015 * max(months, 12) / 12)
    span1 = np.maximum(last_ok - join_mo + 1, 1)
    mo1 = join_mo + (rng.random(n) * span1).astype(np.int64)
    eff1 = np.where(pre_change, eff1_pre, _month_days(mo1) + rng.integers(0, 28, n))
    has1 = pre_change | one
    mbi_eff[:, 1] = np.where(has1, eff1, NAT)
    n_mbi[has1] = 2
    first_mo = np.where(pre_change, start - 1, mo1)
    two = has1 & (rng.random(n) < 0.25) & (last_ok >= first_mo + 2)
    span2 = np.maximum(last_ok - (first_mo + 2) + 1, 1)
    mo2 = first_mo + 2 + (rng.random(n) * span2).astype(np.int64)
    mbi_eff[:, 2] = np.where(two, _month_days(mo2) + rng.integers(0, 28, n), NAT)
    n_mbi[two] = 3
    mbi[n_mbi < 3, 2] = b""
    mbi[n_mbi < 2, 1] = b""

    # --- spending risk and the rest ------------------------------------------------------------
    sigma = 1.2
    risk = rng.lognormal(-sigma**2 / 2, sigma, n)
    risk *= np.where(young, 1.1, 1.0) * np.where(is_dual, 1.25, 1.0)
    risk *= np.select([age < 70, age < 75, age < 80, age < 85], [0.8, 0.92, 1.05, 1.2], 1.35)
    onc_p = np.minimum(0.025 * risk / risk.mean(), 0.5)
    oncology = rng.random(n) < onc_p
    partd = rng.random(n) < np.where(is_dual, 0.97, 0.72)
    voluntary = rng.random(n) < 0.05
    alr_esrd = np.where(esrd | incident, rng.random(n) < 0.75, rng.random(n) < 0.003)
    alr_dual_lag = rng.choice(3, size=n, p=[0.85, 0.10, 0.05]).astype(np.int8)
    alr_dual_flip = rng.random(n) < np.where(is_dual, 0.02, 0.003)

    sex = np.where(rng.random(n) < 0.55, b"2", b"1").astype("S1")
    race = np.array([b"1", b"2", b"5", b"4", b"3", b"0", b"6"], dtype="S1")[
        rng.choice(7, size=n, p=[0.75, 0.10, 0.06, 0.04, 0.03, 0.01, 0.01])]
    first = np.where(sex == b"2", _choice(rng, FIRST_NAMES_F, n), _choice(rng, FIRST_NAMES_M, n))
    middle = np.frombuffer(b"ABCDEFGHJKLMNPRSTW", dtype="S1")[rng.integers(0, 18, n)]
    last = _choice(rng, LAST_NAMES, n)
    numbers = rng.integers(1, 9999, n).astype("S4")
    address1 = np.char.add(np.char.add(np.char.add(numbers, b" "), _choice(rng, STREETS, n)),
                           np.char.add(b" ", _choice(rng, STREET_SUFFIX, n)))
    cw = np.array([c.weight for c in COUNTIES])
    county = rng.choice(len(COUNTIES), size=n, p=cw / cw.sum())
    zip3 = np.array([c.zip3 for c in COUNTIES], dtype="S3")[county]
    zip5 = np.char.add(zip3, np.char.zfill(rng.integers(1, 99, n).astype("S2"), 2))
    zip4 = np.char.zfill(rng.integers(1, 9999, n).astype("S4"), 4)

    return Population(
        n=n, start=start, end=end, g0=g0, mbi=mbi, mbi_eff=mbi_eff, n_mbi=n_mbi, sex=sex,
        race=race, dob=dob, first_name=first, middle_name=middle, last_name=last,
        address1=address1, county=county, zip5=zip5, zip4=zip4, orig_reason=orig,
        part_a_start=part_a, part_b_start=part_b, status_true=status, status_cclf=status_cclf,
        dual=dual, death=death, death_report=death_report, hospice_start=hospice_start,
        join_mo=join_mo, optout_mo=optout, exit_mo=exit_mo, new_enrollee=new_enrollee,
        partd=partd, risk=risk, oncology=oncology, voluntary=voluntary,
        pcp=np.zeros(n, dtype=np.int64), alr_esrd=alr_esrd, alr_dual_lag=alr_dual_lag,
        alr_dual_flip=alr_dual_flip,
    )
