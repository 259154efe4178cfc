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
- **Demographics**: sex, age as of February 1 of PY (CMS-HCC convention), original reason for
  entitlement (OREC) and dual status from the newest CCLF8 (`dim_beneficiary`), Part B start
  date from the newest CCLF8 (`int_beneficiary_deliveries`).
- **New enrollee**: fewer than 12 months of Part B in the 12 months ending with the window's
  last month -> demographic-only new-enrollee score (NE_ / DNE_ coefficients).
- **ESRD**: at least one payment-year month of enrollment type 1 in `fct_member_month` (CMS
  guide Appendix B); a beneficiary with no payment-year month falls back to the newest
  CCLF8's Medicare status (11, 21, 31). ESRD beneficiaries are scored with the ESRD dialysis
  model (DI_ / DNE_).
- **Models and blend** per payment year from package data `risk_models.csv` (cited there and in
  docs/risk.md), overridable in aco.toml `[risk]`:

      [risk]
      blend = { V24 = 0.33, V28 = 0.67 }        # replaces the segment's models and weights
      normalization = { V24 = 1.153, V28 = 1.045 }   # divisor per model; default 1 (none)
      coding_adjustment = 0.0                   # MA coding-pattern adjustment; MSSP: 0
      base_year_lag = 1                         # diagnoses from calendar year PY - lag

  risk_score = round(sum over models of weight x raw / normalization x (1 - coding), 3).
  Raw scores are exact sums of hccinfhir's coefficients (three decimals each); the blend is
  rounded half-up to three decimals once, at the end.

`beneficiary_scores` returns the table; `publish_risk` also publishes `risk_scores` and the long
`risk_hccs` through `metrics.store`.
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa

from aco_pipeline.config import Workspace, WorkspaceError, load_section
from aco_pipeline.errors import AcoError

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


def load_models(path: Path | None = None) -> list[ModelRow]:
    """The rows of `risk_models.csv` (package data, or `path`)."""
    if path is None:
        text = resources.files("aco_pipeline.metrics").joinpath(MODELS_FILE).read_text("utf-8")
        where = f"package data {MODELS_FILE}"
    else:
        text, where = path.read_text("utf-8"), str(path)
    rows: list[ModelRow] = []
    for n, rec in enumerate(csv.DictReader(text.splitlines()), start=2):
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


# --- configuration -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RiskConfig:
    blend: Mapping[str, Decimal] = field(default_factory=dict)
    normalization: Mapping[str, Decimal] = field(default_factory=dict)
    coding_adjustment: Decimal = Decimal(0)
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
    coding = _decimal(section.get("coding_adjustment", 0), f"{where}: [risk] coding_adjustment")
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


@dataclass(frozen=True, slots=True)
class YearModels:
    """The models, weights and hccinfhir data files that apply to one payment year."""
    payment_year: int
    segments: Mapping[str, tuple[ModelSpec, ...]]
    dx_to_cc_file: str
    hierarchies_file: str
    coefficients_file: str
    eligible_cpt_file: str


def year_models(rows: list[ModelRow], payment_year: int, config: RiskConfig) -> YearModels:
    """Models and blend for `payment_year`: the registry's, with `[risk] blend` replacing the
    models of each segment it names (weights per segment must sum to 1)."""
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
            ModelSpec(label, labels[label][1], weight,
                      config.normalization.get(label, Decimal(1)))
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
    return YearModels(payment_year, segments, dx, hier, coef, cpt)


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


def eligible_claims(lines: Iterable[tuple[str, str, str | None, str | None, str | None]],
                    cpt_file: str) -> set[tuple[str, str]]:
    """(claim family, claim id) of risk-adjustment-eligible claims, by hccinfhir's filter.

    `lines`: (family, claim id, facility type, service classification, HCPCS) per claim line
    (facility type and classification None for professional claims). A claim is eligible
    when any of its lines passes (CMS filters at the record level).
    """
    from hccinfhir import ServiceLevelData
    from hccinfhir.filter import apply_filter
    from hccinfhir.utils import load_proc_filtering

    cpt = load_proc_filtering(hccinfhir_data_file(cpt_file))
    slds = [
        ServiceLevelData(claim_id=f"{family}|{claim}", facility_type=fac or None,
                         service_type=cls or None, procedure_code=hcpcs or None)
        for family, claim, fac, cls, hcpcs in lines
    ]
    kept = apply_filter(slds, professional_cpt=cpt)
    out: set[tuple[str, str]] = set()
    for sld in kept:
        assert sld.claim_id is not None
        family, _, claim = sld.claim_id.partition("|")
        out.add((family, claim))
    return out


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


_LINES_SQL = """
with part_a as (
    select distinct cur_clm_uniq_id, clm_bill_fac_type_cd, clm_bill_clsfctn_cd
    from int_service_category_part_a
    where is_final_action and not is_invalid and service_date between ? and ?
)
, part_a_lines as (
    select distinct cur_clm_uniq_id, hcpcs_cd
    from fct_claim_line
    where claim_family = 'part_a'
)
, part_b as (
    select distinct cur_clm_uniq_id, clm_line_num
    from mart_service_category_payment
    where claim_family = 'part_b' and is_final_action and not is_invalid
      and service_date between ? and ?
)
select 'part_a', part_a.cur_clm_uniq_id, trim(part_a.clm_bill_fac_type_cd),
       trim(part_a.clm_bill_clsfctn_cd), trim(part_a_lines.hcpcs_cd)
from part_a
left join part_a_lines on part_a.cur_clm_uniq_id = part_a_lines.cur_clm_uniq_id
union
select 'part_b', lines.cur_clm_uniq_id, null, null, trim(lines.hcpcs_cd)
from fct_claim_line as lines
inner join part_b
    on lines.cur_clm_uniq_id = part_b.cur_clm_uniq_id
    and lines.clm_line_num = part_b.clm_line_num
where lines.claim_family = 'part_b'
"""

_DIAGNOSES_SQL = """
select distinct mr_mbi, claim_family, cur_clm_uniq_id, upper(replace(icd_code, '.', ''))
from fct_diagnosis
where service_date between ? and ?
  and claim_family in ('part_a', 'part_b')
  and coalesce(icd_version_cd, '0') = '0'
  and icd_code is not null
"""

_BENEFICIARIES_SQL = """
with newest_cclf8 as (
    select
          mr_mbi
        , bene_part_b_enrlmt_bgn_dt as part_b_start
        , row_number() over (
            partition by mr_mbi order by delivery_date desc, delivery_id desc
          ) as delivery_rank
    from int_beneficiary_deliveries
)
, months as (
    select
          mr_mbi
        , count(*) as payment_year_months
        , sum(case when enrollment_type = 1 then 1 else 0 end) as esrd_months
        , arg_max(enrollment_type, enrollment_month) as enrollment_type
    from fct_member_month
    where enrollment_month between ? and ? and enrollment_type is not null
    group by mr_mbi
)
select
      b.mr_mbi, b.birth_date, b.death_date, b.sex_cd, b.dual_status_cd
    , b.original_entitlement_reason_cd, b.medicare_status_cd, n.part_b_start
    , coalesce(m.payment_year_months, 0), coalesce(m.esrd_months, 0), m.enrollment_type
from dim_beneficiary as b
left join newest_cclf8 as n on b.mr_mbi = n.mr_mbi and n.delivery_rank = 1
left join months as m on b.mr_mbi = m.mr_mbi
where b.in_cclf8
order by b.mr_mbi
"""


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


def compute(ws: Workspace, *, payment_year: int, diagnosis_start: date | None = None,
            diagnosis_end: date | None = None) -> RiskResult:
    """Score every beneficiary the CCLF8 lists (alive on January 1 of the payment year)."""
    from aco_pipeline.warehouse.read import WarehouseReadError as ReportError
    from aco_pipeline.warehouse.read import connect

    if not 2000 <= payment_year <= 2100:
        raise RiskError(f"payment year {payment_year} is out of range")
    rows = load_models()
    config = load_config(ws, rows)
    years = year_models(rows, payment_year, config)
    start, end = _window(payment_year, config, diagnosis_start, diagnosis_end)
    py_start, py_end = date(payment_year, 1, 1), date(payment_year, 12, 1)
    try:
        with connect(ws) as con:
            lines = con.execute(_LINES_SQL, [start, end, start, end]).fetchall()
            dx_rows = con.execute(_DIAGNOSES_SQL, [start, end]).fetchall()
            benes = con.execute(_BENEFICIARIES_SQL, [py_start, py_end]).fetchall()
    except ReportError as exc:
        raise RiskError(str(exc)) from exc

    eligible = eligible_claims(lines, years.eligible_cpt_file)
    dx_by_mbi: dict[str, set[str]] = defaultdict(set)
    for mbi, family, claim, code in dx_rows:
        if (family, claim) in eligible:
            dx_by_mbi[mbi].add(code)

    labels = sorted(model_labels(rows))
    score_cols: dict[str, list[Any]] = defaultdict(list)
    hcc_cols: dict[str, list[Any]] = defaultdict(list)
    unscored = 0
    age_date = date(payment_year, 2, 1)
    for (mbi, birth, death, sex, dual, orec, status, part_b, py_months, esrd_months,
         enrollment_type) in benes:
        if death is not None and death < py_start:
            continue
        if birth is None or sex not in ("1", "2"):
            unscored += 1
            continue
        esrd = esrd_months > 0 if py_months else (status or "") in ESRD_MEDICARE_STATUS
        bene = Beneficiary(age=age_on(birth, age_date), sex=sex, dual_status_cd=dual,
                           orec=orec, new_enrollee=is_new_enrollee(part_b, end), esrd=esrd)
        score = score_beneficiary(years, bene, dx_by_mbi.get(mbi, ()),
                                  config.coding_adjustment)
        raw = {m.label: m.raw_score for m in score.models}
        score_cols["mr_mbi"].append(mbi)
        score_cols["payment_year"].append(payment_year)
        score_cols["diagnosis_start"].append(start)
        score_cols["diagnosis_end"].append(end)
        score_cols["segment"].append(score.segment)
        score_cols["model_segment"].append(score.model_segment)
        score_cols["enrollment_type"].append(enrollment_type)
        score_cols["new_enrollee"].append(bene.new_enrollee)
        score_cols["esrd_months"].append(esrd_months)
        score_cols["age"].append(bene.age)
        for label in labels:
            score_cols[f"raw_score_{label.lower()}"].append(raw.get(label))
        score_cols["blended_score"].append(score.blended_score)
        score_cols["risk_score"].append(score.risk_score)
        score_cols["hccs"].append([f"{m.label}:HCC{h}" for m in score.models
                                   for h, _, _ in m.hccs])
        for m in score.models:
            for hcc, label, coef in m.hccs:
                hcc_cols["mr_mbi"].append(mbi)
                hcc_cols["payment_year"].append(payment_year)
                hcc_cols["model"].append(m.label)
                hcc_cols["hcc"].append(f"HCC{hcc}")
                hcc_cols["description"].append(label)
                hcc_cols["coefficient"].append(coef)

    schema = pa.schema(
        [("mr_mbi", pa.string()), ("payment_year", pa.int32()),
         ("diagnosis_start", pa.date32()), ("diagnosis_end", pa.date32()),
         ("segment", pa.string()), ("model_segment", pa.string()),
         ("enrollment_type", pa.int32()), ("new_enrollee", pa.bool_()),
         ("esrd_months", pa.int32()), ("age", pa.int32())]
        + [(f"raw_score_{label.lower()}", SCORE) for label in labels]
        + [("blended_score", SCORE), ("risk_score", SCORE), ("hccs", pa.list_(pa.string()))]
    )
    hcc_schema = pa.schema([
        ("mr_mbi", pa.string()), ("payment_year", pa.int32()), ("model", pa.string()),
        ("hcc", pa.string()), ("description", pa.string()), ("coefficient", SCORE),
    ])
    scores = pa.table({f.name: pa.array(score_cols[f.name], f.type) for f in schema},
                      schema=schema)
    hccs = pa.table({f.name: pa.array(hcc_cols[f.name], f.type) for f in hcc_schema},
                    schema=hcc_schema)
    if unscored:
        log.warning("risk: %d beneficiaries without birth date or sex were not scored", unscored)
    from importlib.metadata import version

    parameters: dict[str, object] = {
        "payment_year": payment_year,
        "diagnosis_start": start.isoformat(),
        "diagnosis_end": end.isoformat(),
        "models": {seg: {s.label: str(s.weight) for s in specs}
                   for seg, specs in years.segments.items()},
        "normalization": {s.label: str(s.normalization)
                          for specs in years.segments.values() for s in specs},
        "coding_adjustment": str(config.coding_adjustment),
        "hccinfhir": version("hccinfhir"),
        "hccinfhir_files": [years.dx_to_cc_file, years.hierarchies_file,
                            years.coefficients_file, years.eligible_cpt_file],
        "beneficiaries": scores.num_rows,
        "unscored": unscored,
    }
    return RiskResult(scores, hccs, parameters)


def beneficiary_scores(ws: Workspace, *, payment_year: int, diagnosis_start: date | None = None,
                       diagnosis_end: date | None = None) -> pa.Table:
    """Risk score per current MBI: `mr_mbi`, `payment_year`, `risk_score` (decimal(10,3), the
    normalised blended score), `hccs` (list of "<model>:HCC<n>" after hierarchies) and the
    raw score per model, blend and segment columns. The diagnosis window defaults to the
    base year (calendar year payment_year - `[risk] base_year_lag`)."""
    return compute(ws, payment_year=payment_year, diagnosis_start=diagnosis_start,
                   diagnosis_end=diagnosis_end).scores


def publish_risk(ws: Workspace, *, payment_year: int, diagnosis_start: date | None = None,
                 diagnosis_end: date | None = None) -> RiskResult:
    """Compute and publish metric tables `risk_scores` and `risk_hccs`."""
    from aco_pipeline.metrics.store import publish

    result = compute(ws, payment_year=payment_year, diagnosis_start=diagnosis_start,
                     diagnosis_end=diagnosis_end)
    publish(ws, "risk_scores", result.scores, result.parameters)
    publish(ws, "risk_hccs", result.hccs, result.parameters)
    return result


def summary(scores: pa.Table) -> list[dict[str, object]]:
    """Beneficiaries and mean risk score overall, per segment and per model segment."""
    groups: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for seg, mseg, etype, risk in zip(scores.column("segment").to_pylist(),
                                      scores.column("model_segment").to_pylist(),
                                      scores.column("enrollment_type").to_pylist(),
                                      scores.column("risk_score").to_pylist(), strict=True):
        groups[("all", "all")].append(risk)
        groups[("segment", seg)].append(risk)
        groups[("model_segment", mseg)].append(risk)
        groups[("enrollment_type", "unknown" if etype is None else str(etype))].append(risk)
    order = {"all": 0, "segment": 1, "model_segment": 2, "enrollment_type": 3}
    return [
        {"group_by": by, "group": value, "beneficiaries": len(vals),
         "mean_risk_score": (sum(vals, Decimal(0)) / len(vals)).quantize(THOUSANDTH,
                                                                          ROUND_HALF_UP)}
        for (by, value), vals in sorted(groups.items(), key=lambda kv: (order[kv[0][0]], kv[0]))
    ]
