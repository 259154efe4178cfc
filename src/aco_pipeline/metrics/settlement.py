"""Recompute every ACO of a PUF file with the engine and compare with CMS's published results.

Each ACO ends in one of three states:

* `match`: predicted earned savings/losses within $1 of the published `EarnSaveLoss`;
* `undetermined`: the published inputs cannot determine the result, for a reason found from the
  inputs alone (elected MSR not published and the candidates disagree, a loss limit based on
  unpublished participant revenue that may bind, suppressed inputs, ...);
* `mismatch`: none of those reasons applies and the engine disagrees (a rule is missing).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from aco_pipeline.metrics.puf import PufFile, PufRecord

if TYPE_CHECKING:
    import pyarrow as pa
from aco_pipeline.metrics.shared_savings import (
    MSR_ELECTIONS,
    SMALL_ACO_THRESHOLD,
    TRACK_TERMS,
    ZERO,
    SettlementInputs,
    SettlementResult,
    settle,
    variable_msr,
)

TOLERANCE = Decimal(1)  # dollars; CMS rounds only the published totals
MSR_ROUNDING = Decimal("0.0001")  # published MinSavPerc: 0.01 percentage point

# Methodology "Earned losses": PY2020-2022, the COVID-19 emergency covered the whole year and
# every county, so every shared loss was fully offset (§425.605(f), §425.610(i)).
FULL_YEAR_EUC_YEARS = frozenset({2020, 2021, 2022})

MATCH = "match"
UNDETERMINED = "undetermined"
MISMATCH = "mismatch"


@dataclass
class AcoComparison:
    aco_id: str
    line: int
    status: str
    predicted: Decimal | None
    published: Decimal | None
    result: SettlementResult | None
    msr_basis: str = ""
    predicted_dis_adj: Decimal | None = None
    published_dis_adj: Decimal | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def difference(self) -> Decimal | None:
        if self.predicted is None or self.published is None:
            return None
        return self.predicted - self.published


@dataclass
class FileComparison:
    path: Path
    performance_year: int
    style: str
    acos: list[AcoComparison]
    records: list[PufRecord]

    @property
    def counts(self) -> Counter[str]:
        return Counter(a.status for a in self.acos)

    @property
    def reasons(self) -> Counter[str]:
        """Undetermined ACOs by reason category (the text before the first colon)."""
        return Counter(a.reasons[0].split(":")[0] for a in self.acos
                       if a.status == UNDETERMINED and a.reasons)

    @property
    def dis_adj_counts(self) -> Counter[str]:
        return Counter(s for a in self.acos if (s := dis_adj_status(a)) is not None)


def _round_msr(value: Decimal) -> Decimal:
    return value.quantize(MSR_ROUNDING, rounding=ROUND_HALF_UP)


def msr_candidates(rec: PufRecord, two_sided: bool) -> tuple[list[Decimal | None], str]:
    """The MSR elections consistent with the published (rounded) MinSavPerc.

    One-sided ACOs and two-sided ACOs below 5,000 beneficiaries use the variable table.  For the
    others the election is not published; the rounded MinSavPerc identifies it unless it is
    suppressed or matches several candidates.  None = variable table.
    """
    assert rec.assigned_beneficiaries is not None
    n = rec.assigned_beneficiaries
    if not two_sided or n < SMALL_ACO_THRESHOLD:
        return [None], "variable"
    table = variable_msr(n)
    everything: list[Decimal | None] = [None, *MSR_ELECTIONS]
    p = rec.min_sav_perc
    if p is None:
        return everything, "unknown (MinSavPerc not published)"
    found: list[Decimal | None] = []
    if _round_msr(table) == _round_msr(p):
        found.append(None)
    found.extend(e for e in MSR_ELECTIONS if e == _round_msr(p))
    if not found:
        return everything, f"unknown (MinSavPerc {p:.2%} matches no election)"
    if len(found) == 1:
        return found, "variable" if found[0] is None else f"elected {found[0]:.1%}"
    return found, "ambiguous: variable or elected " + ", ".join(
        f"{e:.1%}" for e in found if e is not None)


def euc_share(rec: PufRecord, performance_year: int) -> tuple[Decimal, str | None]:
    """(share of a loss offset for EUCs, reason it is not determinable or None)."""
    if performance_year in FULL_YEAR_EUC_YEARS:
        return Decimal(1), None
    if rec.published.dis_adj in (None, ZERO):
        return ZERO, None
    # PY2023+: months in an emergency x share of beneficiaries in affected counties; the
    # county share is not published.
    return ZERO, "EUC share of beneficiaries in affected areas not published"


def published_savings(rec: PufRecord) -> Decimal | None:
    """Published S (BnchmkMinExp) when it agrees with B - E to within the rounding of B and E."""
    s = rec.savings_published
    if s is None or rec.benchmark is None or rec.expenditures is None:
        return None
    return s if abs(s - (rec.benchmark - rec.expenditures)) <= 1 else None


def inputs_for(rec: PufRecord, performance_year: int, elected: Decimal | None,
               euc: Decimal) -> SettlementInputs:
    assert rec.track is not None and rec.assigned_beneficiaries is not None
    assert rec.benchmark is not None and rec.expenditures is not None
    agreement_year = None
    if rec.agreement_start is not None:
        # A 7/1/2019 start's first performance year is the 2019 half year.
        agreement_year = max(1, performance_year - rec.agreement_start.year + 1)
    return SettlementInputs(
        aco_id=rec.aco_id,
        performance_year=performance_year,
        track=rec.track,
        assigned_beneficiaries=rec.assigned_beneficiaries,
        benchmark=rec.benchmark,
        expenditures=rec.expenditures,
        quality_score=rec.quality_score,
        met_qps=bool(rec.met_qps),
        met_alt_qps=bool(rec.met_alt_qps),
        elected_msr=elected,
        euc_share=euc,
        revenue_category=rec.revenue_category,
        agreement_start=rec.agreement_start,
        agreement_year=agreement_year,
        revenue_limit_lower=rec.revenue_loss_limit,
        savings=published_savings(rec),
    )


REQUIRED_INPUTS = ("track", "assigned_beneficiaries", "benchmark", "expenditures", "met_qps")
_INPUT_COLUMN = {
    "track": "Current_Track", "assigned_beneficiaries": "N_AB", "benchmark": "ABtotBnchmk",
    "expenditures": "ABtotExp", "met_qps": "Met_QPS",
}


def compare_record(rec: PufRecord, performance_year: int) -> AcoComparison:
    published = rec.published.earned
    base = AcoComparison(aco_id=rec.aco_id, line=rec.line, status=UNDETERMINED, predicted=None,
                         published=published, result=None,
                         published_dis_adj=rec.published.dis_adj)
    absent = [_INPUT_COLUMN[a] for a in REQUIRED_INPUTS if getattr(rec, a) is None]
    if absent:
        base.reasons.append("suppressed or blank inputs: " + ", ".join(absent))
        return base
    if rec.benchmark is None or rec.benchmark <= 0:
        base.reasons.append("suppressed or blank inputs: ABtotBnchmk not positive")
        return base
    assert rec.track is not None
    terms = TRACK_TERMS[rec.track]
    reasons: list[str] = []

    euc, euc_reason = euc_share(rec, performance_year)
    candidates, basis = msr_candidates(rec, terms.two_sided)
    results = [settle(inputs_for(rec, performance_year, c, euc)) for c in candidates]
    result = results[0]
    earned = [r.earned for r in results]
    if max(earned) - min(earned) > TOLERANCE:
        reasons.append(
            f"elected MSR/MLR not published: {basis}; savings rate {result.savings_rate:.4%} "
            f"gives earned amounts from {min(earned):,.0f} to {max(earned):,.0f} across the "
            "possible elections"
        )
    if rec.quality_score is None and (result.generated < 0 and terms.flat_loss_rate is None):
        reasons.append("suppressed or blank inputs: QualScore (sets the loss rate)")
    if result.generated < 0 and result.earned != 0:
        if result.loss_limit_uncertain:
            reasons.append("loss limit based on unpublished ACO participant revenue")
        if euc_reason:
            reasons.append(euc_reason)
        if rec.prorate_shared_losses:
            reasons.append("shared losses prorated for a partial year (terminated ACO); the "
                           "proration is not published")
    if published is None:
        reasons.append("published EarnSaveLoss suppressed or blank")

    base = replace(base, predicted=result.earned, result=result, msr_basis=basis,
                   predicted_dis_adj=result.euc_adjustment if result.generated < 0 else None)
    diff = base.difference
    if diff is not None and abs(diff) <= TOLERANCE:
        base.status = MATCH
    elif reasons:
        base.status = UNDETERMINED
    else:
        base.status = MISMATCH
    base.reasons = reasons
    return base


def compare_file(puf: PufFile) -> FileComparison:
    return FileComparison(
        path=puf.path,
        performance_year=puf.performance_year,
        style=puf.style,
        acos=[compare_record(rec, puf.performance_year) for rec in puf.records],
        records=list(puf.records),
    )


# The loss before the EUC offset, checked against the published DisAdj (PY2020-2022 DisAdj is
# the whole shared loss, since earned losses were fully offset).
def dis_adj_status(aco: AcoComparison) -> str | None:
    """match / undetermined / mismatch for ACOs with a predicted or published DisAdj."""
    pred, pub = aco.predicted_dis_adj, aco.published_dis_adj
    if not pred and not pub:
        return None
    if pred is not None and pub is not None and abs(pred - pub) <= TOLERANCE:
        return MATCH
    if aco.result is not None and aco.result.loss_limit_uncertain:
        return UNDETERMINED
    return MISMATCH


COLUMNS: tuple[str, ...] = (
    "performance_year", "aco_id", "line", "track", "assigned_beneficiaries", "benchmark",
    "expenditures", "savings", "savings_rate", "msr", "mlr", "msr_basis", "generated",
    "share_rate", "loss_rate", "savings_cap", "cap_applied", "loss_limit", "limit_applied",
    "reduced_rate", "shared_savings", "sequestration", "shared_losses", "euc_adjustment",
    "predicted_earned", "published_earned", "difference", "status", "predicted_dis_adj",
    "published_dis_adj", "dis_adj_status", "reasons", "notes",
)
MONEY_COLUMNS = frozenset({
    "benchmark", "expenditures", "savings", "generated", "savings_cap", "loss_limit",
    "shared_savings", "sequestration", "shared_losses", "euc_adjustment", "predicted_earned",
    "published_earned", "difference", "predicted_dis_adj", "published_dis_adj",
})
RATE_COLUMNS = frozenset({"savings_rate", "msr", "mlr", "share_rate", "loss_rate"})
BOOL_COLUMNS = frozenset({"cap_applied", "limit_applied", "reduced_rate"})


def rows(comparison: FileComparison) -> list[dict[str, object]]:
    """One dict per ACO with the columns of `COLUMNS` (Decimals unrounded)."""
    out: list[dict[str, object]] = []
    for a in comparison.acos:
        r = a.result
        out.append({
            "performance_year": comparison.performance_year,
            "aco_id": a.aco_id,
            "line": a.line,
            "track": r.track.value if r else None,
            "assigned_beneficiaries": None,
            "benchmark": None,
            "expenditures": None,
            "savings": r.savings if r else None,
            "savings_rate": r.savings_rate if r else None,
            "msr": r.msr if r else None,
            "mlr": r.mlr if r else None,
            "msr_basis": a.msr_basis,
            "generated": r.generated if r else None,
            "share_rate": r.share_rate if r else None,
            "loss_rate": r.loss_rate if r else None,
            "savings_cap": r.savings_cap if r else None,
            "cap_applied": r.cap_applied if r else None,
            "loss_limit": r.loss_limit if r else None,
            "limit_applied": r.limit_applied if r else None,
            "reduced_rate": r.reduced_rate if r else None,
            "shared_savings": r.shared_savings if r else None,
            "sequestration": r.sequestration if r else None,
            "shared_losses": r.shared_losses if r else None,
            "euc_adjustment": r.euc_adjustment if r else None,
            "predicted_earned": a.predicted,
            "published_earned": a.published,
            "difference": a.difference,
            "status": a.status,
            "predicted_dis_adj": a.predicted_dis_adj,
            "published_dis_adj": a.published_dis_adj,
            "dis_adj_status": dis_adj_status(a),
            "reasons": "; ".join(a.reasons),
            "notes": "; ".join(r.notes) if r else "",
        })
    for row, rec in zip(out, comparison.records, strict=True):
        row["assigned_beneficiaries"] = rec.assigned_beneficiaries
        row["benchmark"] = rec.benchmark
        row["expenditures"] = rec.expenditures
    return out


MONEY_PLACES = 6
RATE_PLACES = 12


def to_table(comparisons: list[FileComparison]) -> pa.Table:
    """Every ACO row of `comparisons` as one Arrow table.

    Money is decimal128(24, 6) and rates decimal128(20, 12): exact, never floats.
    """
    import pyarrow as pa

    money = pa.decimal128(24, MONEY_PLACES)
    rate = pa.decimal128(20, RATE_PLACES)
    fields = []
    for c in COLUMNS:
        if c in MONEY_COLUMNS:
            fields.append(pa.field(c, money))
        elif c in RATE_COLUMNS:
            fields.append(pa.field(c, rate))
        elif c in BOOL_COLUMNS:
            fields.append(pa.field(c, pa.bool_()))
        elif c in ("performance_year", "line", "assigned_beneficiaries"):
            fields.append(pa.field(c, pa.int64()))
        else:
            fields.append(pa.field(c, pa.string()))
    schema = pa.schema(fields)
    money_q = Decimal(1).scaleb(-MONEY_PLACES)
    rate_q = Decimal(1).scaleb(-RATE_PLACES)
    all_rows = [row for comp in comparisons for row in rows(comp)]
    columns: dict[str, list[object]] = {c: [] for c in COLUMNS}
    for row in all_rows:
        for c in COLUMNS:
            v = row[c]
            if isinstance(v, Decimal):
                v = v.quantize(money_q if c in MONEY_COLUMNS else rate_q,
                               rounding=ROUND_HALF_UP)
            columns[c].append(v)
    return pa.Table.from_pydict(columns, schema=schema)


def write_parquet(comparisons: list[FileComparison], path: Path) -> int:
    """Write every ACO row of `comparisons` to one Parquet file (atomically); returns rows."""
    import pyarrow.parquet as pq

    table = to_table(comparisons)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return table.num_rows
