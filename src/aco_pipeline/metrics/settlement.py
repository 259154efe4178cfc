"""Recompute every ACO of a PUF file with the engine and compare with CMS's published results.

Each ACO ends in one of three states:

* `match`: predicted earned savings/losses within $1 of the published `EarnSaveLoss`;
* `undetermined`: the published inputs cannot determine the result, for a reason found from the
  inputs alone (elected MSR not published and the candidates disagree, a loss limit based on
  unpublished participant revenue that may bind, inputs without a value, ...);
* `mismatch`: none of those reasons applies and the engine disagrees (a rule is missing).

The EUC loss adjustment (methodology "Earned losses", §425.605(f), §425.610(i)): PY2020-2022
every loss was fully offset (share 1, derived; the published `DisAdj` is then a check of the
loss); from PY2023 the published `DisAdj` is the input, since the share of beneficiaries in
affected areas is not published.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from aco_pipeline.metrics.puf import Marker, NoValue, PufFile, PufRecord, value

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
# Methodology "Earned losses": PY2023, the COVID-19 emergency (every county) ran to 11 May, so
# every ACO's loss was cut by at least the five months January-May: 5/12. An EUC share implied
# by DisAdj below this floor means CMS's loss was smaller than the engine's, i.e. limited by a
# revenue-based loss limit.
PHE_EUC_SHARE_FLOOR: dict[int, Decimal] = {2023: Decimal(5) / Decimal(12)}

MATCH = "match"
UNDETERMINED = "undetermined"
MISMATCH = "mismatch"

# How the published DisAdj is used.
DIS_ADJ_CHECK = "check"  # full-year EUC: the engine derives the offset, DisAdj checks the loss
DIS_ADJ_INPUT = "input"  # PY2023+: DisAdj is the EUC adjustment the engine applies


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
    dis_adj_role: str = ""
    reasons: list[str] = field(default_factory=list)
    # (lowest, highest) earned amount the published data allows, when it is not determined.
    earned_range: tuple[Decimal, Decimal] | None = None

    @property
    def difference(self) -> Decimal | None:
        if self.predicted is None or self.published is None:
            return None
        return self.predicted - self.published

    @property
    def implied_euc_share(self) -> Decimal | None:
        """DisAdj / the loss before the EUC offset, when DisAdj was an input."""
        r = self.result
        if self.dis_adj_role != DIS_ADJ_INPUT or r is None or r.generated >= 0:
            return None
        return r.euc_share


@dataclass
class FileComparison:
    path: Path
    performance_year: int
    style: str
    acos: list[AcoComparison]
    records: list[PufRecord]
    unknown_columns: tuple[str, ...] = ()
    markers: Counter[Marker] = field(default_factory=Counter)

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

    @property
    def dis_adj_inputs(self) -> list[AcoComparison]:
        """ACOs with a loss whose published DisAdj was the EUC adjustment."""
        return [a for a in self.acos if a.implied_euc_share is not None]


def _round_msr(x: Decimal) -> Decimal:
    return x.quantize(MSR_ROUNDING, rounding=ROUND_HALF_UP)


def msr_candidates(rec: PufRecord, two_sided: bool) -> tuple[list[Decimal | None], str]:
    """The MSR elections consistent with the published (rounded) MinSavPerc.

    One-sided ACOs and two-sided ACOs below 5,000 beneficiaries use the variable table.  For the
    others the election is not published; the rounded MinSavPerc identifies it unless it has no
    value or matches several candidates.  None = variable table.
    """
    n = value(rec.assigned_beneficiaries)
    assert n is not None
    if not two_sided or n < SMALL_ACO_THRESHOLD:
        return [None], "variable"
    table = variable_msr(n)
    everything: list[Decimal | None] = [None, *MSR_ELECTIONS]
    p = rec.min_sav_perc
    if isinstance(p, NoValue):
        return everything, f"unknown ({p.describe('MinSavPerc')})"
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


@dataclass(frozen=True)
class EucInput:
    share: Decimal = ZERO
    adjustment: Decimal | None = None  # published DisAdj used as the adjustment
    role: str = ""
    missing: str | None = None  # why no adjustment is known (matters only for losses)


def euc_input(rec: PufRecord, performance_year: int) -> EucInput:
    """The EUC offset of a loss: derived for full-year years, else the published DisAdj."""
    if performance_year in FULL_YEAR_EUC_YEARS:
        return EucInput(share=Decimal(1), role=DIS_ADJ_CHECK)
    dis = rec.dis_adj
    if isinstance(dis, NoValue):
        return EucInput(missing=f"EUC adjustment without a value: {dis.describe('DisAdj')}; the "
                                "share of beneficiaries in affected areas is not published")
    if dis > 0:
        return EucInput(missing=f"EUC adjustment unusable: DisAdj {dis:,.0f} is positive (an "
                                "offset of a loss is <= 0)")
    return EucInput(adjustment=dis, role=DIS_ADJ_INPUT)


def published_savings(rec: PufRecord) -> Decimal | None:
    """Published S (BnchmkMinExp) when it agrees with B - E to within the rounding of B and E."""
    s, b, e = value(rec.savings_published), value(rec.benchmark), value(rec.expenditures)
    if s is None or b is None or e is None:
        return None
    return s if abs(s - (b - e)) <= 1 else None


def inputs_for(rec: PufRecord, performance_year: int, elected: Decimal | None,
               euc: EucInput) -> SettlementInputs:
    track, n = value(rec.track), value(rec.assigned_beneficiaries)
    b, e = value(rec.benchmark), value(rec.expenditures)
    assert track is not None and n is not None and b is not None and e is not None
    start = value(rec.agreement_start)
    agreement_year = None
    if start is not None:
        # A 7/1/2019 start's first performance year is the 2019 half year.
        agreement_year = max(1, performance_year - start.year + 1)
    return SettlementInputs(
        aco_id=rec.aco_id,
        performance_year=performance_year,
        track=track,
        assigned_beneficiaries=n,
        benchmark=b,
        expenditures=e,
        quality_score=value(rec.quality_score),
        met_qps=bool(value(rec.met_qps)),
        met_alt_qps=bool(value(rec.met_alt_qps)),
        elected_msr=elected,
        euc_share=euc.share,
        euc_adjustment=euc.adjustment,
        revenue_category=value(rec.revenue_category),
        agreement_start=start,
        agreement_year=agreement_year,
        revenue_limit_lower=value(rec.revenue_loss_limit),
        savings=published_savings(rec),
    )


REQUIRED_INPUTS = {
    "track": "Current_Track", "assigned_beneficiaries": "N_AB", "benchmark": "ABtotBnchmk",
    "expenditures": "ABtotExp", "met_qps": "Met_QPS",
}


def _revenue_limit_binds(result: SettlementResult, euc: EucInput,
                         performance_year: int) -> tuple[str, tuple[Decimal, Decimal]] | None:
    """Why the revenue-based loss limit must have bound (PY2023 DisAdj below the PHE floor),
    and the range of earned amounts left: the true loss is DisAdj / share with the share
    between the floor and 1, so earned = DisAdj / share - DisAdj lies in [DisAdj/floor - DisAdj,
    0]."""
    floor = PHE_EUC_SHARE_FLOOR.get(performance_year)
    if floor is None or euc.adjustment is None or not result.loss_limit_uncertain:
        return None
    if result.generated >= 0 or result.euc_share >= floor:
        return None
    d = euc.adjustment
    lowest = d / floor - d
    return (
        f"loss limit based on unpublished ACO participant revenue: DisAdj {d:,.0f} is "
        f"{result.euc_share:.2%} of the engine's loss {result.shared_losses:,.0f}, below the "
        f"{floor:.2%} (5/12) the COVID-19 emergency gave every ACO in {performance_year}, so "
        "CMS's loss was smaller: limited by the revenue-based limit, whose participant revenue "
        f"is not published (earned is between {lowest:,.0f} and 0)"
    ), (lowest, ZERO)


def compare_record(rec: PufRecord, performance_year: int) -> AcoComparison:
    published = value(rec.published.earned)
    base = AcoComparison(aco_id=rec.aco_id, line=rec.line, status=UNDETERMINED, predicted=None,
                         published=published, result=None,
                         published_dis_adj=value(rec.dis_adj))
    absent = [getattr(rec, a).describe(c) for a, c in REQUIRED_INPUTS.items()
              if isinstance(getattr(rec, a), NoValue)]
    if absent:
        base.reasons.append("inputs without a value: " + ", ".join(absent))
        return base
    b, n = value(rec.benchmark), value(rec.assigned_beneficiaries)
    if b is None or b <= 0 or n is None or n <= 0:
        base.reasons.append("inputs without a value: ABtotBnchmk or N_AB not positive")
        return base
    track = value(rec.track)
    assert track is not None
    terms = TRACK_TERMS[track]
    reasons: list[str] = []

    euc = euc_input(rec, performance_year)
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
    if (isinstance(rec.quality_score, NoValue) and result.generated < 0
            and terms.flat_loss_rate is None):
        reasons.append("inputs without a value: " + rec.quality_score.describe("QualScore")
                       + " (sets the loss rate)")
    earned_range = None
    if result.generated < 0 and result.earned != 0:
        binds = _revenue_limit_binds(result, euc, performance_year)
        if binds:
            reasons.append(binds[0])
            earned_range = binds[1]
        elif result.loss_limit_uncertain:
            reasons.append("loss limit based on unpublished ACO participant revenue")
        if euc.missing:
            reasons.append(euc.missing)
    if result.earned != 0:
        if value(rec.prorate_shared_losses) or value(rec.mid_year_termination):
            reasons.append("mid-year termination: the proration of the result is not published")
        recouped = value(rec.aip_recouped)
        if recouped and result.earned > 0:
            reasons.append(f"advance investment payments recouped (AIPRecoup {recouped:,.0f}): "
                           "EarnSaveLoss may be net of the recoupment")
    if value(rec.guardrail):
        reasons.append("guardrail applied: its effect is not published separately")
    if isinstance(rec.published.earned, NoValue):
        reasons.append("published result without a value: "
                       + rec.published.earned.describe("EarnSaveLoss"))

    base = replace(base, predicted=result.earned, result=result, msr_basis=basis,
                   dis_adj_role=euc.role if result.generated < 0 else "",
                   predicted_dis_adj=result.euc_adjustment if result.generated < 0 else None)
    diff = base.difference
    if diff is not None and abs(diff) <= TOLERANCE:
        base.status = MATCH
    elif reasons:
        base.status = UNDETERMINED
    else:
        base.status = MISMATCH
    if base.status != MATCH:
        base.reasons = reasons
        base.earned_range = earned_range
    return base


def compare_file(puf: PufFile) -> FileComparison:
    return FileComparison(
        path=puf.path,
        performance_year=puf.performance_year,
        style=puf.style,
        acos=[compare_record(rec, puf.performance_year) for rec in puf.records],
        records=list(puf.records),
        unknown_columns=puf.unknown_columns,
        markers=puf.markers,
    )


# The loss before the EUC offset, checked against the published DisAdj (PY2020-2022 DisAdj is
# the whole shared loss, since earned losses were fully offset).
def dis_adj_status(aco: AcoComparison) -> str | None:
    """match / undetermined / mismatch for ACOs with a predicted or published DisAdj, where
    DisAdj is a check (full-year EUC years); None where it is an input or absent."""
    if aco.dis_adj_role == DIS_ADJ_INPUT:
        return None
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
    "published_dis_adj", "dis_adj_status", "dis_adj_role", "implied_euc_share", "reasons",
    "notes",
)
MONEY_COLUMNS = frozenset({
    "benchmark", "expenditures", "savings", "generated", "savings_cap", "loss_limit",
    "shared_savings", "sequestration", "shared_losses", "euc_adjustment", "predicted_earned",
    "published_earned", "difference", "predicted_dis_adj", "published_dis_adj",
})
RATE_COLUMNS = frozenset({"savings_rate", "msr", "mlr", "share_rate", "loss_rate",
                          "implied_euc_share"})
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
            "dis_adj_role": a.dis_adj_role,
            "implied_euc_share": a.implied_euc_share,
            "reasons": "; ".join(a.reasons),
            "notes": "; ".join(r.notes) if r else "",
        })
    for row, rec in zip(out, comparison.records, strict=True):
        row["assigned_beneficiaries"] = value(rec.assigned_beneficiaries)
        row["benchmark"] = value(rec.benchmark)
        row["expenditures"] = value(rec.expenditures)
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
