"""CMS-HCC prospective risk scores per beneficiary, computed with `hccinfhir` (pinned 0.4.0).

For a payment (performance) year PY:

- **Diagnoses** (prospective model): ICD-10 codes of `fct_diagnosis` with a service date in the
  base year (calendar year PY - `base_year_lag`, default 1; or an explicit window), on
  risk-adjustment-eligible claims only. Eligibility is hccinfhir's own filter
  (`hccinfhir.filter.apply_filter`, CMS encounter-data filtering logic): inpatient type of bill
  11x/41x; outpatient types of bill 12x, 13x, 43x, 71x, 73x, 76x, 77x, 85x, 87x with a
  CPT/HCPCS on CMS's risk-adjustment-eligible list; professional (CCLF5) claims with such a
  CPT/HCPCS on any line. Final-action, valid (not denied) claims only; DME (CCLF6) never
  counts. Gap: CMS also filters professional claims by provider specialty, which the CCLF
  lacks (docs/risk.md).
- **Inputs**: three dbt marts, read one at a time (the joins are in dbt):
  `mart_risk_claim_line` (final-action valid Part A/B claim lines with type of bill and
  HCPCS), `mart_risk_diagnosis` (their ICD-10 codes) and `mart_risk_beneficiary_month`
  (demographics of the newest CCLF8 via `dim_beneficiary`, Part B start, enrollment type per
  month with its label, `is_counted`, attributed provider).
- **Demographics**: sex, age as of February 1 of PY (CMS-HCC convention), original reason for
  entitlement (OREC), dual status and Part B start date from the newest CCLF8.
- **Enrollment type** (every row): that of the beneficiary's most recent counted month
  (`fct_member_month.is_counted`) on or before the payment year's last month - in the payment
  year when it has one, else the newest before it (prospective scores are often computed
  before the payment year has months); `enrollment_type_month` says which month.
- **New enrollee**: fewer than 12 months of Part B in the 12 months ending with the window's
  last month -> demographic-only new-enrollee score (NE_ / DNE_ coefficients).
- **ESRD**: at least one payment-year month of enrollment type 1 in `fct_member_month` (CMS
  guide Appendix B); a beneficiary with no payment-year month falls back to the newest
  CCLF8's Medicare status (11, 21, 31). ESRD beneficiaries are scored with the ESRD dialysis
  model (DI_ / DNE_).
- **Models and blend** per payment year from package data `risk_models.csv`; **normalisation
  and coding-adjustment factors** per payment year from package data `risk_factors.csv` (each
  row with its CMS source; status `verify` = not checked against the publication). Both are
  overridable in aco.toml `[risk]`:

      [risk]
      blend = { V24 = 0.33, V28 = 0.67 }        # replaces the segment's models and weights
      normalization = { V24 = 1.153, V28 = 1.045 }   # divisor per model; 1.0 = none
      coding_adjustment = 0.0                   # MA coding-pattern adjustment; MSSP: 0
      base_year_lag = 1                         # diagnoses from calendar year PY - lag

  risk_score = round(sum over models of weight x raw / normalization x (1 - coding), 3).
  Raw scores are exact sums of hccinfhir's coefficients (three decimals each); the blend is
  rounded half-up to three decimals once, at the end. Every row says whether it is
  normalised (`normalised`, `normalization_<model>`, `coding_adjustment`); `notes` says it in
  every output.

`compute` / `beneficiary_scores` take a connection (or a workspace) and return the tables;
`canonical` is what `aco build` stores as `metric_risk_scores` and `metric_risk_hccs`.
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from aco_pipeline.config import Workspace, WorkspaceError, load_section
from aco_pipeline.errors import AcoError
from aco_pipeline.metrics.periods import MetricPeriod, stack
from aco_pipeline.warehouse import read

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

MODELS_FILE = "risk_models.csv"
SCORE = pa.decimal128(10, 3)
THOUSANDTH = Decimal("0.001")
SEGMENTS = ("community", "esrd")
ESRD_MEDICARE_STATUS = frozenset({"11", "21", "31"})
"""BENE_MDCR_STUS_CD values with ESRD (CMS guide Appendix B, Table 13)."""
DUAL_CODES = frozenset({"00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10"})
OREC_CODES = frozenset({"0", "1", "2", "3"})
ICD10 = "0"
"""DGNS_PRCDR_ICD_IND: 0 = ICD-10 (IP v40 Appendix B)."""
CONFIG_KEYS = frozenset({"blend", "normalization", "coding_adjustment", "base_year_lag"})


class RiskError(AcoError, RuntimeError):
    """Risk scores cannot be computed: bad configuration, missing model data or warehouse."""


# --- the model registry (package data) -----------------------------------------------------

@dataclass(frozen=True, slots=True)
class ModelRow:
    payment_year: int
    segment: str
    model: str
    hccinfhir_model: str
    weight: Decimal
    dx_to_cc_file: str
    hierarchies_file: str
    coefficients_file: str
    eligible_cpt_file: str
    source: str


def _csv_records(name: str, path: Path | None) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    """Where a registry CSV comes from (for messages) and its records with their line
    numbers: package data file `name`, or `path`."""
    if path is None:
        text = resources.files("aco_pipeline.metrics").joinpath(name).read_text("utf-8")
        where = f"package data {name}"
    else:
        text, where = path.read_text("utf-8"), str(path)
    return where, list(enumerate(csv.DictReader(text.splitlines()), start=2))


def load_models(path: Path | None = None) -> list[ModelRow]:
    """The rows of `risk_models.csv` (package data, or `path`)."""
    where, records = _csv_records(MODELS_FILE, path)
    rows: list[ModelRow] = []
    for n, rec in records:
        try:
            row = ModelRow(
                payment_year=int(rec["payment_year"]), segment=rec["segment"],
                model=rec["model"], hccinfhir_model=rec["hccinfhir_model"],
                weight=Decimal(rec["weight"]), dx_to_cc_file=rec["dx_to_cc_file"],
                hierarchies_file=rec["hierarchies_file"],
                coefficients_file=rec["coefficients_file"],
                eligible_cpt_file=rec["eligible_cpt_file"], source=rec["source"],
            )
        except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
            raise RiskError(f"{where} line {n}: malformed row ({exc})") from None
        if row.segment not in SEGMENTS:
            raise RiskError(f"{where} line {n}: segment {row.segment!r} not in {SEGMENTS}")
        rows.append(row)
    return rows


def model_labels(rows: Iterable[ModelRow]) -> dict[str, tuple[str, str]]:
    """Every model label in the registry -> (segment, hccinfhir model name)."""
    return {r.model: (r.segment, r.hccinfhir_model) for r in rows}


# --- normalisation and coding-adjustment factors (package data) ----------------------------

FACTORS_FILE = "risk_factors.csv"
FACTOR_KINDS = ("normalization", "coding_adjustment")
FACTOR_STATUSES = ("published", "verify")


@dataclass(frozen=True, slots=True)
class Factor:
    """One row of risk_factors.csv: a CMS-published factor for one payment year."""
    payment_year: int
    model: str
    """A model label of risk_models.csv, or "*" (coding adjustment: every model)."""
    factor: str
    value: Decimal
    status: str
    """published, or verify (not checked against the CMS publication)."""
    applies_by_default: bool
    source: str


def load_factors(path: Path | None = None) -> list[Factor]:
    """The rows of `risk_factors.csv` (package data, or `path`)."""
    where, records = _csv_records(FACTORS_FILE, path)
    out: list[Factor] = []
    for n, rec in records:
        try:
            row = Factor(payment_year=int(rec["payment_year"]), model=rec["model"],
                         factor=rec["factor"], value=Decimal(rec["value"]),
                         status=rec["status"],
                         applies_by_default={"true": True, "false": False}[
                             rec["applies_by_default"]],
                         source=rec["source"])
        except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
            raise RiskError(f"{where} line {n}: malformed row ({exc!r})") from None
        if row.factor not in FACTOR_KINDS or row.status not in FACTOR_STATUSES:
            raise RiskError(f"{where} line {n}: factor must be one of {FACTOR_KINDS} and "
                            f"status one of {FACTOR_STATUSES}")
        out.append(row)
    return out


# --- configuration -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RiskConfig:
    blend: Mapping[str, Decimal] = field(default_factory=dict)
    normalization: Mapping[str, Decimal] = field(default_factory=dict)
    coding_adjustment: Decimal | None = None
    """None: the package data's default for the payment year (risk_factors.csv)."""
    base_year_lag: int = 1


def _decimal(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RiskError(f"{where} must be a number, not {value!r}")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise RiskError(f"{where} must be a number, not {value!r}") from None


def parse_config(section: Mapping[str, object], *, where: str,
                 labels: Iterable[str]) -> RiskConfig:
    """Validate an aco.toml `[risk]` table; `where` names the file in error messages."""
    known = sorted(set(labels))
    unknown = sorted(set(section) - CONFIG_KEYS)
    if unknown:
        raise RiskError(f"{where}: unknown key(s) in [risk]: {', '.join(unknown)} "
                        f"(known: {', '.join(sorted(CONFIG_KEYS))})")

    def table(key: str) -> dict[str, Decimal]:
        raw = section.get(key, {})
        if not isinstance(raw, dict):
            raise RiskError(f"{where}: [risk] {key} must be a table like "
                            f"{{ V28 = 1.0 }} keyed by model ({', '.join(known)})")
        out: dict[str, Decimal] = {}
        for label, value in raw.items():
            if label not in known:
                raise RiskError(f"{where}: [risk] {key} names model {label!r}; "
                                f"known models: {', '.join(known)}")
            out[label] = _decimal(value, f"{where}: [risk] {key}.{label}")
        return out

    blend = table("blend")
    for label, w in blend.items():
        if not Decimal(0) <= w <= Decimal(1):
            raise RiskError(f"{where}: [risk] blend.{label} = {w} must be between 0 and 1")
    normalization = table("normalization")
    for label, nf in normalization.items():
        if nf <= 0:
            raise RiskError(f"{where}: [risk] normalization.{label} = {nf} must be positive")
    coding: Decimal | None = None
    if "coding_adjustment" in section:
        coding = _decimal(section["coding_adjustment"], f"{where}: [risk] coding_adjustment")
        if not Decimal(0) <= coding < Decimal(1):
            raise RiskError(f"{where}: [risk] coding_adjustment = {coding} must be in [0, 1)")
    lag = section.get("base_year_lag", 1)
    if isinstance(lag, bool) or not isinstance(lag, int) or not 0 <= lag <= 3:
        raise RiskError(f"{where}: [risk] base_year_lag must be an integer 0-3 (1 = prospective "
                        f"model, diagnoses from the year before the payment year), not {lag!r}")
    return RiskConfig(blend=blend, normalization=normalization, coding_adjustment=coding,
                      base_year_lag=lag)


def load_config(ws: Workspace, rows: Iterable[ModelRow]) -> RiskConfig:
    try:
        section = load_section(ws, "risk")
    except WorkspaceError as exc:
        raise RiskError(str(exc)) from exc
    return parse_config(section, where=str(ws.config_path), labels=model_labels(rows))


@dataclass(frozen=True, slots=True)
class ModelSpec:
    label: str
    hccinfhir_model: str
    weight: Decimal
    normalization: Decimal
    normalization_source: str = "none"
    """Where the factor comes from: a risk_factors.csv source, "aco.toml [risk]" or "none"."""

    @property
    def normalised(self) -> bool:
        return self.normalization != 1


@dataclass(frozen=True, slots=True)
class YearModels:
    """The models, weights, factors and hccinfhir data files of one payment year."""
    payment_year: int
    segments: Mapping[str, tuple[ModelSpec, ...]]
    dx_to_cc_file: str
    hierarchies_file: str
    coefficients_file: str
    eligible_cpt_file: str
    coding_adjustment: Decimal = Decimal(0)
    coding_adjustment_source: str = "none"

    def specs(self) -> list[ModelSpec]:
        return [s for specs in self.segments.values() for s in specs]


def _factor_source(f: Factor) -> str:
    flag = "" if f.status == "published" else " [verify]"
    return f"{FACTORS_FILE}: {f.source}{flag}"


def year_models(rows: list[ModelRow], payment_year: int, config: RiskConfig,
                factors: Iterable[Factor] | None = None) -> YearModels:
    """Models and blend for `payment_year`: the registry's, with `[risk] blend` replacing the
    models of each segment it names (weights per segment must sum to 1). Normalisation per
    model: `[risk] normalization`, else the payment year's factor in `factors` (default: the
    package data risk_factors.csv), else none (1). Coding adjustment: `[risk]
    coding_adjustment`, else the package's when it applies by default (MSSP: it does not)."""
    known = [f for f in (load_factors() if factors is None else factors)
             if f.payment_year == payment_year]
    norm = {f.model: f for f in known if f.factor == "normalization" and f.applies_by_default}
    mine = [r for r in rows if r.payment_year == payment_year]
    if not mine:
        years = sorted({r.payment_year for r in rows})
        raise RiskError(f"no CMS-HCC models for payment year {payment_year} in {MODELS_FILE} "
                        f"(years: {', '.join(map(str, years))}); add rows there")
    files = {(r.dx_to_cc_file, r.hierarchies_file, r.coefficients_file, r.eligible_cpt_file)
             for r in mine}
    if len(files) != 1:
        raise RiskError(f"{MODELS_FILE}: payment year {payment_year} names different hccinfhir "
                        "data files on different rows; one set per year")
    dx, hier, coef, cpt = files.pop()
    labels = model_labels(rows)
    segments: dict[str, tuple[ModelSpec, ...]] = {}
    for segment in SEGMENTS:
        override = {k: w for k, w in config.blend.items() if labels[k][0] == segment}
        chosen = (override.items() if override else
                  [(r.model, r.weight) for r in mine if r.segment == segment])
        specs = tuple(
            ModelSpec(label, labels[label][1], weight, *(
                (config.normalization[label], "aco.toml [risk] normalization")
                if label in config.normalization else
                (norm[label].value, _factor_source(norm[label])) if label in norm else
                (Decimal(1), "none")))
            for label, weight in chosen if weight > 0
        )
        total = sum((s.weight for s in specs), Decimal(0))
        if specs and total != 1:
            origin = "aco.toml [risk] blend" if override else MODELS_FILE
            raise RiskError(f"{origin}: the {segment} weights for payment year {payment_year} "
                            f"sum to {total}, not 1")
        if not specs:
            raise RiskError(f"no {segment} model for payment year {payment_year} "
                            f"(set it in {MODELS_FILE} or aco.toml [risk] blend)")
        segments[segment] = specs
    if config.coding_adjustment is not None:
        coding, coding_source = config.coding_adjustment, "aco.toml [risk] coding_adjustment"
    else:
        default = [f for f in known if f.factor == "coding_adjustment" and f.applies_by_default]
        coding, coding_source = ((default[0].value, _factor_source(default[0])) if default
                                 else (Decimal(0), "none (MSSP applies no MA coding "
                                                   "pattern adjustment)"))
    return YearModels(payment_year, segments, dx, hier, coef, cpt, coding, coding_source)


# --- hccinfhir -----------------------------------------------------------------------------

def hccinfhir_data_file(name: str) -> str:
    """An absolute path for a hccinfhir data file (hccinfhir would otherwise look in the
    current directory first)."""
    if Path(name).is_absolute():
        path = Path(name)
    else:
        path = Path(str(resources.files("hccinfhir.data").joinpath(name)))
    if not path.is_file():
        raise RiskError(f"hccinfhir data file {name!r} not found (looked at {path}); "
                        f"fix the file names in {MODELS_FILE}")
    return str(path)


@lru_cache(maxsize=16)
def _processor(model: str, dx: str, hier: str, coef: str) -> Any:
    from hccinfhir import HCCInFHIR

    return HCCInFHIR(filter_claims=False, model_name=model,  # type: ignore[arg-type]
                     dx_cc_mapping_filename=hccinfhir_data_file(dx),
                     hierarchies_filename=hccinfhir_data_file(hier),
                     coefficients_filename=hccinfhir_data_file(coef))


@dataclass(frozen=True, slots=True)
class Beneficiary:
    """What the CMS-HCC models need about one beneficiary (no identifiers)."""
    age: int
    sex: str  # "1" male, "2" female
    dual_status_cd: str | None
    orec: str | None
    new_enrollee: bool
    esrd: bool


@dataclass(frozen=True, slots=True)
class ModelScore:
    label: str
    raw_score: Decimal
    model_segment: str
    hccs: tuple[tuple[str, str | None, Decimal | None], ...]
    """(HCC, description, coefficient) after hierarchies; empty for new enrollees."""


@dataclass(frozen=True, slots=True)
class Score:
    segment: str
    model_segment: str
    models: tuple[ModelScore, ...]
    blended_score: Decimal
    risk_score: Decimal


def _exact(value: float) -> Decimal:
    """A coefficient back as the decimal hccinfhir read from its CSV (three places)."""
    return Decimal(repr(value))


def score_model(spec: ModelSpec, years: YearModels, bene: Beneficiary,
                diagnoses: Iterable[str]) -> ModelScore:
    """One model's raw score: hccinfhir maps, edits, applies hierarchies and interactions."""
    from hccinfhir import Demographics
    from hccinfhir.model_coefficients import get_coefficent_prefix

    proc = _processor(spec.hccinfhir_model, years.dx_to_cc_file, years.hierarchies_file,
                      years.coefficients_file)
    demo = Demographics(
        age=bene.age, sex=bene.sex,  # type: ignore[arg-type]
        dual_elgbl_cd=bene.dual_status_cd if bene.dual_status_cd in DUAL_CODES else "NA",
        orec=bene.orec if bene.orec in OREC_CODES else "",  # type: ignore[arg-type]
        new_enrollee=bene.new_enrollee, esrd=bene.esrd,
    )
    override = None
    if "ESRD" in spec.hccinfhir_model:
        # ESRD status comes from the enrollment months, not OREC: dialysis coefficients.
        # A functioning graft (GI_/GNE_/G*) needs graft months, which the CCLF lacks.
        override = "DNE_" if bene.new_enrollee else "DI_"
    result = proc.calculate_from_diagnosis(sorted(set(diagnoses)), demo,
                                           prefix_override=override)
    raw = sum((_exact(v) for v in result.coefficients.values()), Decimal(0))
    prefix = override or get_coefficent_prefix(result.demographics, spec.hccinfhir_model)
    hccs: tuple[tuple[str, str | None, Decimal | None], ...] = ()
    if not bene.new_enrollee:
        hccs = tuple(sorted(
            ((d.hcc, d.label, None if d.coefficient is None else _exact(d.coefficient))
             for d in result.hcc_details),
            key=lambda h: (len(h[0]), h[0]),
        ))
    return ModelScore(spec.label, raw, prefix.rstrip("_"), hccs)


def score_beneficiary(years: YearModels, bene: Beneficiary, diagnoses: Iterable[str],
                      coding_adjustment: Decimal = Decimal(0)) -> Score:
    """Blend of the segment's models: sum of weight x raw / normalization, x (1 - coding)."""
    dx = list(diagnoses)
    segment = "esrd" if bene.esrd else "community"
    specs = years.segments[segment]
    models = tuple(score_model(s, years, bene, dx) for s in specs)
    blended = sum((s.weight * m.raw_score for s, m in zip(specs, models, strict=True)),
                  Decimal(0))
    normalised = sum((s.weight * m.raw_score / s.normalization
                      for s, m in zip(specs, models, strict=True)), Decimal(0))
    risk = normalised * (1 - coding_adjustment)
    return Score(
        segment=segment,
        model_segment=models[-1].model_segment,
        models=models,
        blended_score=blended.quantize(THOUSANDTH, ROUND_HALF_UP),
        risk_score=risk.quantize(THOUSANDTH, ROUND_HALF_UP),
    )


LineKind = tuple[str | None, str | None, str | None]


def eligible_line_kinds(kinds: Iterable[LineKind], cpt_file: str) -> set[LineKind]:
    """The (facility type, service classification, HCPCS) line kinds that pass hccinfhir's
    risk-adjustment filter. CMS filters at the record level, so whether a line counts depends
    on these three values only: filtering each distinct kind once is the same as filtering
    every line (and keeps millions of claim lines out of Python)."""
    from hccinfhir import ServiceLevelData
    from hccinfhir.filter import apply_filter
    from hccinfhir.utils import load_proc_filtering

    cpt = load_proc_filtering(hccinfhir_data_file(cpt_file))
    distinct = sorted(set(kinds), key=lambda k: tuple(v or "" for v in k))
    slds = [
        ServiceLevelData(claim_id=str(i), facility_type=fac or None,
                         service_type=cls or None, procedure_code=hcpcs or None)
        for i, (fac, cls, hcpcs) in enumerate(distinct)
    ]
    return {distinct[int(sld.claim_id)] for sld in apply_filter(slds, professional_cpt=cpt)
            if sld.claim_id is not None}


def eligible_claims(lines: Iterable[tuple[str, str, str | None, str | None, str | None]],
                    cpt_file: str) -> set[tuple[str, str]]:
    """(claim family, claim id) of risk-adjustment-eligible claims: a claim is eligible when
    any of its lines is of an eligible kind (`eligible_line_kinds`).

    `lines`: (family, claim id, facility type, service classification, HCPCS) per claim line
    (facility type and classification None for professional claims).
    """
    rows = list(lines)
    ok = eligible_line_kinds(((f, c, h) for _, _, f, c, h in rows), cpt_file)
    return {(family, claim) for family, claim, f, c, h in rows if (f, c, h) in ok}


# --- reading the warehouse -----------------------------------------------------------------

def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def is_new_enrollee(part_b_start: date | None, window_end: date) -> bool:
    """Fewer than 12 months of Part B in the 12 months ending with `window_end`'s month.
    Unknown Part B start (not on the CCLF8) counts as a full year."""
    if part_b_start is None:
        return False
    months = _month_index(window_end) - _month_index(part_b_start) + 1
    return months < 12


MARTS = ("mart_risk_beneficiary_month", "mart_risk_claim_line", "mart_risk_diagnosis")

KINDS_SQL = """
select distinct facility_type_cd, service_classification_cd, hcpcs_cd
from mart_risk_claim_line
where service_date between ? and ?
"""

# the diagnoses of claims with at least one line of an eligible kind; the kinds are a runtime
# list (hccinfhir's filter, registered as _risk_eligible_line_kinds), not a warehouse table
DIAGNOSES_SQL = """
with eligible_claims as (
    select distinct lines.claim_family, lines.cur_clm_uniq_id
    from mart_risk_claim_line as lines
    inner join _risk_eligible_line_kinds as kinds
        on coalesce(lines.facility_type_cd, '') = kinds.facility_type_cd
        and coalesce(lines.service_classification_cd, '') = kinds.service_classification_cd
        and coalesce(lines.hcpcs_cd, '') = kinds.hcpcs_cd
    where lines.service_date between ? and ?
)

select distinct dx.mr_mbi, dx.icd10_code
from mart_risk_diagnosis as dx
inner join eligible_claims
    on dx.claim_family = eligible_claims.claim_family
    and dx.cur_clm_uniq_id = eligible_claims.cur_clm_uniq_id
where dx.service_date between ? and ?
"""

# one mart, aggregated per beneficiary: payment-year months, ESRD months, and the most
# recent counted month on or before the payment year's end (in the payment year when it has
# one) with its enrollment type and attributed provider
BENEFICIARIES_SQL = """
select
      mr_mbi, max(first_name), max(last_name)
    , max(birth_date), max(death_date), max(sex_cd), max(dual_status_cd)
    , max(original_entitlement_reason_cd), max(medicare_status_cd), max(part_b_start_date)
    , count(enrollment_month) filter (where enrollment_month between ? and ?)
    , count(enrollment_month) filter (where enrollment_month between ? and ?
                                      and enrollment_type = 1)
    , max(enrollment_month) filter (where is_counted and enrollment_month <= ?)
    , arg_max(enrollment_type, enrollment_month) filter (
        where is_counted and enrollment_month <= ?)
    , arg_max(enrollment_type_label, enrollment_month) filter (
        where is_counted and enrollment_month <= ?)
    , arg_max(attributed_tin, enrollment_month) filter (
        where is_counted and enrollment_month <= ? and attributed_tin is not null)
    , arg_max(attributed_npi, enrollment_month) filter (
        where is_counted and enrollment_month <= ? and attributed_tin is not null)
from mart_risk_beneficiary_month
group by mr_mbi
order by mr_mbi
"""

SCORE_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("mr_mbi", pa.string()), ("first_name", pa.string()), ("last_name", pa.string()),
    ("payment_year", pa.int32()),
    ("diagnosis_start", pa.date32()), ("diagnosis_end", pa.date32()),
    ("enrollment_type", pa.int32()), ("enrollment_type_label", pa.string()),
    ("enrollment_type_month", pa.date32()),
    ("attributed_tin", pa.string()), ("attributed_npi", pa.string()),
    ("segment", pa.string()), ("model_segment", pa.string()),
    ("new_enrollee", pa.bool_()), ("esrd_months", pa.int32()), ("age", pa.int32()),
)
FACTOR = pa.decimal128(8, 4)
HCC_SCHEMA = pa.schema([
    ("mr_mbi", pa.string()), ("payment_year", pa.int32()), ("model", pa.string()),
    ("hcc", pa.string()), ("description", pa.string()), ("coefficient", SCORE),
])
CANONICAL_KINDS = ("performance_year_to_date", "prior_year")
"""The periods whose diagnoses `aco build` scores (payment year = the period's year + 1)."""


def score_schema(labels: Iterable[str]) -> pa.Schema:
    """The `risk_scores` columns for the registry's model labels."""
    labels = sorted(labels)
    return pa.schema(
        list(SCORE_COLUMNS)
        + [(f"raw_score_{label.lower()}", SCORE) for label in labels]
        + [("blended_score", SCORE), ("normalised", pa.bool_())]
        + [(f"normalization_{label.lower()}", FACTOR) for label in labels]
        + [("coding_adjustment", FACTOR), ("risk_score", SCORE),
           ("hccs", pa.list_(pa.string()))]
    )


@dataclass(frozen=True, slots=True)
class RiskResult:
    scores: pa.Table
    hccs: pa.Table
    parameters: dict[str, object]


def _window(payment_year: int, config: RiskConfig, start: date | None,
            end: date | None) -> tuple[date, date]:
    base = payment_year - config.base_year_lag
    start = start or date(base, 1, 1)
    end = end or date(base, 12, 31)
    if end < start:
        raise RiskError(f"diagnosis window ends ({end}) before it starts ({start})")
    return start, end


_SHARED: dict[str, RiskResult] | None = None


@contextmanager
def shared_scores() -> Iterator[None]:
    """Within the block, a connection's scores for the same payment year, window and config
    are computed once (aco build: care's rising-risk list and the risk tables score the same
    beneficiaries)."""
    global _SHARED
    previous, _SHARED = _SHARED, {}
    try:
        yield
    finally:
        _SHARED = previous


def compute(source: Workspace | duckdb.DuckDBPyConnection, *, payment_year: int,
            config: RiskConfig | None = None, diagnosis_start: date | None = None,
            diagnosis_end: date | None = None) -> RiskResult:
    """Score every beneficiary the CCLF8 lists (alive on January 1 of the payment year).

    `source`: a connection that sees the warehouse tables, or a workspace (its published
    warehouse). `config`: aco.toml `[risk]`; None reads it from the workspace (defaults when
    `source` is a connection)."""
    if not 2000 <= payment_year <= 2100:
        raise RiskError(f"payment year {payment_year} is out of range")
    rows = load_models()
    if config is None:
        config = load_config(source, rows) if isinstance(source, Workspace) else RiskConfig()
    years = year_models(rows, payment_year, config)
    start, end = _window(payment_year, config, diagnosis_start, diagnosis_end)
    py_start, py_end = date(payment_year, 1, 1), date(payment_year, 12, 1)
    key = repr((payment_year, start, end, config))
    if _SHARED is not None and not isinstance(source, Workspace) and key in _SHARED:
        return _SHARED[key]
    try:
        with read.using(source) as con:
            read.require(con, MARTS, "risk-score marts")
            kinds = eligible_line_kinds(read.rows(con, KINDS_SQL, [start, end]),
                                        years.eligible_cpt_file)
            con.register("_risk_eligible_line_kinds", pa.table({
                name: pa.array([k[i] or "" for k in sorted(
                    kinds, key=lambda k: tuple(v or "" for v in k))], pa.string())
                for i, name in enumerate(("facility_type_cd", "service_classification_cd",
                                          "hcpcs_cd"))}))
            try:
                dx_rows = read.rows(con, DIAGNOSES_SQL, [start, end, start, end])
            finally:
                con.unregister("_risk_eligible_line_kinds")
            benes = read.rows(con, BENEFICIARIES_SQL,
                              [py_start, py_end, py_start, py_end] + [py_end] * 5)
    except read.WarehouseReadError as exc:
        raise RiskError(str(exc)) from exc

    dx_by_mbi: dict[str, set[str]] = defaultdict(set)
    for mbi, code in dx_rows:
        dx_by_mbi[mbi].add(code)

    labels = sorted(model_labels(rows))
    schema = score_schema(labels)
    score_cols: dict[str, list[Any]] = defaultdict(list)
    hcc_cols: dict[str, list[Any]] = defaultdict(list)
    unscored = 0
    age_date = date(payment_year, 2, 1)
    for (mbi, first_name, last_name, birth, death, sex, dual, orec, status, part_b, py_months,
         esrd_months, type_month, enrollment_type, type_label, tin, npi) in benes:
        if death is not None and death < py_start:
            continue
        if birth is None or sex not in ("1", "2"):
            unscored += 1
            continue
        esrd = esrd_months > 0 if py_months else (status or "") in ESRD_MEDICARE_STATUS
        bene = Beneficiary(age=age_on(birth, age_date), sex=sex, dual_status_cd=dual,
                           orec=orec, new_enrollee=is_new_enrollee(part_b, end), esrd=esrd)
        score = score_beneficiary(years, bene, dx_by_mbi.get(mbi, ()),
                                  years.coding_adjustment)
        specs = years.segments[score.segment]
        raw = {m.label: m.raw_score for m in score.models}
        norm = {s.label: s.normalization for s in specs}
        values: dict[str, Any] = {
            "mr_mbi": mbi, "first_name": first_name, "last_name": last_name,
            "payment_year": payment_year, "diagnosis_start": start,
            "diagnosis_end": end, "enrollment_type": enrollment_type,
            "enrollment_type_label": type_label, "enrollment_type_month": type_month,
            "attributed_tin": tin, "attributed_npi": npi, "segment": score.segment,
            "model_segment": score.model_segment, "new_enrollee": bene.new_enrollee,
            "esrd_months": esrd_months, "age": bene.age,
            "blended_score": score.blended_score,
            "normalised": any(s.normalised for s in specs),
            "coding_adjustment": years.coding_adjustment, "risk_score": score.risk_score,
            "hccs": [f"{m.label}:HCC{h}" for m in score.models for h, _, _ in m.hccs],
        }
        for label in labels:
            values[f"raw_score_{label.lower()}"] = raw.get(label)
            values[f"normalization_{label.lower()}"] = norm.get(label)
        for f in schema:
            score_cols[f.name].append(values[f.name])
        for m in score.models:
            for hcc, label, coef in m.hccs:
                for col, v in (("mr_mbi", mbi), ("payment_year", payment_year),
                               ("model", m.label), ("hcc", f"HCC{hcc}"),
                               ("description", label), ("coefficient", coef)):
                    hcc_cols[col].append(v)

    scores = pa.table({f.name: pa.array(score_cols[f.name], f.type) for f in schema},
                      schema=schema)
    hccs = pa.table({f.name: pa.array(hcc_cols[f.name], f.type) for f in HCC_SCHEMA},
                    schema=HCC_SCHEMA)
    if unscored:
        log.warning("risk: %d beneficiaries without birth date or sex were not scored", unscored)
    from importlib.metadata import version

    parameters: dict[str, object] = {
        "payment_year": payment_year,
        "diagnosis_start": start.isoformat(),
        "diagnosis_end": end.isoformat(),
        "models": {seg: {s.label: str(s.weight) for s in specs}
                   for seg, specs in years.segments.items()},
        "normalization": {s.label: str(s.normalization) for s in years.specs()},
        "normalization_source": {s.label: s.normalization_source for s in years.specs()},
        "normalised": {s.label: s.normalised for s in years.specs()},
        "coding_adjustment": str(years.coding_adjustment),
        "coding_adjustment_source": years.coding_adjustment_source,
        "hccinfhir": version("hccinfhir"),
        "hccinfhir_files": [years.dx_to_cc_file, years.hierarchies_file,
                            years.coefficients_file, years.eligible_cpt_file],
        "beneficiaries": scores.num_rows,
        "unscored": unscored,
    }
    result = RiskResult(scores, hccs, parameters)
    if _SHARED is not None and not isinstance(source, Workspace):
        _SHARED[key] = result
    return result


def beneficiary_scores(source: Workspace | duckdb.DuckDBPyConnection, *, payment_year: int,
                       diagnosis_start: date | None = None, diagnosis_end: date | None = None,
                       config: RiskConfig | None = None) -> pa.Table:
    """Risk score per current MBI: `mr_mbi`, `payment_year`, `risk_score` (decimal(10,3), the
    blended score divided by the normalisation factors, x (1 - coding adjustment);
    `normalised` says whether any factor was applied), `hccs` (list of "<model>:HCC<n>"
    after hierarchies), the raw score per model, blend, factor and segment columns. The
    diagnosis window defaults to the base year (payment_year - `[risk] base_year_lag`)."""
    return compute(source, payment_year=payment_year, config=config,
                   diagnosis_start=diagnosis_start, diagnosis_end=diagnosis_end).scores


def notes(result: RiskResult) -> list[str]:
    """What every output of the scores says beside its rows: window, normalisation, coding."""
    p = result.parameters
    norm: dict[str, str] = p["normalization"]  # type: ignore[assignment]
    sources: dict[str, str] = p["normalization_source"]  # type: ignore[assignment]
    flags: dict[str, bool] = p["normalised"]  # type: ignore[assignment]
    out = [f"CMS-HCC prospective scores for payment year {p['payment_year']} from the "
           f"diagnoses of {p['diagnosis_start']}..{p['diagnosis_end']}"]
    done = [f"{label} / {norm[label]} ({sources[label]})" for label in norm if flags[label]]
    not_done = [label for label in norm if not flags[label]]
    if done and not not_done:
        out.append("scores are normalised: risk_score = blend of raw / factor: "
                   + "; ".join(done))
    elif done:
        out.append("scores are partly normalised: " + "; ".join(done)
                   + f"; NOT normalised (no factor): {', '.join(not_done)}")
    else:
        out.append("scores are NOT normalised (no normalisation factor for payment year "
                   f"{p['payment_year']}; set [risk] normalization)")
    out.append(f"coding adjustment {p['coding_adjustment']} ({p['coding_adjustment_source']})")
    if p["unscored"]:
        out.append(f"{p['unscored']} beneficiaries without birth date or sex were not scored")
    return out


def canonical(con: duckdb.DuckDBPyConnection, ws: Workspace,
              periods: Sequence[MetricPeriod]) -> dict[str, pa.Table]:
    """`risk_scores` and `risk_hccs` for the performance year to date and the prior year
    (metrics.canonical): the CMS-HCC prospective convention scores payment year PY from the
    diagnoses of PY - 1, so the diagnoses of each period give the scores of payment year
    (period year + 1). A payment year the registry does not cover is skipped."""
    rows = load_models()
    config = load_config(ws, rows)
    covered = {r.payment_year for r in rows}
    schema = score_schema(model_labels(rows))
    scores: list[tuple[MetricPeriod, pa.Table]] = []
    hccs: list[tuple[MetricPeriod, pa.Table]] = []
    for period in periods:
        payment_year = period.period_start.year + 1
        if period.period_kind not in CANONICAL_KINDS:
            continue
        if payment_year not in covered:
            log.warning("risk: no CMS-HCC models for payment year %d; period %s not scored",
                        payment_year, period.period_id)
            continue
        result = compute(con, payment_year=payment_year, config=config,
                         diagnosis_start=period.period_start, diagnosis_end=period.period_end)
        scores.append((period, result.scores))
        hccs.append((period, result.hccs))
    return {"risk_scores": stack(scores, schema), "risk_hccs": stack(hccs, HCC_SCHEMA)}


def summary(scores: pa.Table) -> list[dict[str, object]]:
    """Beneficiaries and mean risk score overall, per segment and per model segment."""
    groups: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for seg, mseg, etype, label, risk in zip(
            scores.column("segment").to_pylist(), scores.column("model_segment").to_pylist(),
            scores.column("enrollment_type").to_pylist(),
            scores.column("enrollment_type_label").to_pylist(),
            scores.column("risk_score").to_pylist(), strict=True):
        groups[("all", "all")].append(risk)
        groups[("segment", seg)].append(risk)
        groups[("model_segment", mseg)].append(risk)
        groups[("enrollment_type",
                "unknown" if etype is None else f"{etype} {label}")].append(risk)
    order = {"all": 0, "segment": 1, "model_segment": 2, "enrollment_type": 3}
    return [
        {"group_by": by, "group": value, "beneficiaries": len(vals),
         "mean_risk_score": (sum(vals, Decimal(0)) / len(vals)).quantize(THOUSANDTH,
                                                                          ROUND_HALF_UP)}
        for (by, value), vals in sorted(groups.items(), key=lambda kv: (order[kv[0][0]], kv[0]))
    ]
