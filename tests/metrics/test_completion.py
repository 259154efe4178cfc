"""Completion factors (metrics.completion): the chain ladder on a hand-made triangle, configured
factors, too little history, config validation, and the built synthetic ACO end to end."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import app
from aco_pipeline.config import init_workspace
from aco_pipeline.metrics import completion as cm
from aco_pipeline.metrics.canonical import data_periods
from aco_pipeline.warehouse.read import connect
from tests.synthetic_aco import BuiltAco

JAN, FEB, MAR, APR = (date(2024, m, 1) for m in (1, 2, 3, 4))
AS_OF = date(2024, 4, 30)


def lag(family: str, month: date, k: int, paid: str, load_day: int = 8) -> cm.LagRow:
    """A payment of `month` loaded `k` months later (on the `load_day`)."""
    index = month.year * 12 + month.month - 1 + k
    load = date(index // 12, index % 12 + 1, load_day)
    return cm.LagRow(family, month, load, k, Decimal(paid))


# Incremental paid (lag 0, 1, 2, 3), as of 2024-04-30:
#   Jan 100  50  10   0   -> cumulative 100 150 160 160
#   Feb 200  80  20       -> 200 280 300
#   Mar 120  60           -> 120 180
#   Apr 150               -> 150
TRIANGLE = [
    lag("part_b", JAN, 0, "100"), lag("part_b", JAN, 1, "50"), lag("part_b", JAN, 2, "10"),
    lag("part_b", JAN, 3, "0"),
    lag("part_b", FEB, 0, "200"), lag("part_b", FEB, 1, "80"), lag("part_b", FEB, 2, "20"),
    lag("part_b", MAR, 0, "120"), lag("part_b", MAR, 1, "60"),
    lag("part_b", APR, 0, "150"),
    # loaded after the as-of date: not observable, must not count
    lag("part_b", APR, 1, "999"), lag("part_b", MAR, 2, "999"),
]


def test_chain_ladder_hand_made_triangle() -> None:
    config = cm.CompletionConfig(min_history_months=2)
    result = cm.estimate(TRIANGLE, as_of=AS_OF, config=config)
    dev = result.developments["part_b"]
    # f(0) over Jan, Feb, Mar: (150 + 280 + 180) / (100 + 200 + 120) = 610 / 420 = 1.4523809..
    # f(1) over Jan, Feb:      (160 + 300) / (150 + 280) = 460 / 430 = 1.0697674..
    # f(2) would rest on Jan alone (< 2 service months): development stops, tail 1.
    f0, f1 = Decimal("1.452381"), Decimal("1.069767")
    assert [(s.lag_months, s.age_to_age, s.observations, s.basis) for s in dev.steps] == [
        (0, f0, 3, "chain ladder"), (1, f1, 2, "chain ladder"), (2, Decimal(1), 1, "tail")]
    # F(0) = 1.452381 x 1.069767 = 1.553708... -> 1.553709; F(1) = f(1); F(2) = 1
    big_f0 = Decimal("1.553709")
    assert big_f0 == (f0 * f1).quantize(Decimal("0.000001"))
    assert [s.cumulative for s in dev.steps] == [big_f0, f1, Decimal(1)]
    assert dev.source == "estimated: chain ladder over service months 2024-01..2024-03, " \
                         "as of 2024-04-30"

    cells = result.cells()
    apr, mar, feb, jan = (cells[("part_b", m)] for m in (APR, MAR, FEB, JAN))
    # Apr: 150 x 1.553709 = 233.05635 -> 233.06, 100 / 1.553709 = 64.36%
    assert (apr.age_months, apr.as_paid, apr.completion_factor, apr.completed,
            apr.complete_percent) == (0, Decimal("150.00"), big_f0, Decimal("233.06"),
                                      Decimal("64.36"))
    # Mar: 180 x 1.069767 = 192.55806 -> 192.56, 100 / 1.069767 = 93.48%
    assert (mar.as_paid, mar.completed, mar.complete_percent) == (
        Decimal("180.00"), Decimal("192.56"), Decimal("93.48"))
    # Feb (age 2) and Jan (age 3) are at or past the tail: complete
    assert (feb.completed, feb.complete_percent) == (Decimal("300.00"), Decimal("100.00"))
    assert (jan.as_paid, jan.completed, jan.completion_factor) == (
        Decimal("160.00"), Decimal("160.00"), Decimal(1))
    # a family without payments is zero, and the total row sums Part A + B + DME
    assert cells[("part_a", APR)].as_paid == Decimal("0.00")
    total = cells[("total", APR)]
    assert (total.as_paid, total.completed, total.completion_factor,
            total.complete_percent) == (Decimal("150.00"), Decimal("233.06"),
                                        Decimal("1.553733"), Decimal("64.36"))
    assert any("tail factor 1" in n for n in result.notes())


def test_triangle_is_as_of_and_caps_lags() -> None:
    # as of 2024-03-31 the April payment and the March lag-1 payment are not yet loaded
    tri = cm.build_triangles(TRIANGLE, as_of=date(2024, 3, 31), max_lag=24)["part_b"]
    assert tri.service_months == (JAN, FEB, MAR)
    assert tri.as_paid[MAR] == Decimal(120)
    assert (MAR, 1) not in tri.cumulative
    # with a 1-month cap, every lag >= 1 counts at lag 1
    capped = cm.build_triangles(TRIANGLE, as_of=AS_OF, max_lag=1)["part_b"]
    assert capped.cumulative[(JAN, 1)] == Decimal(160)
    dev = cm.chain_ladder(capped, min_history=2)
    assert [s.basis for s in dev.steps] == ["chain ladder"]
    assert dev.factor(5) == Decimal(1)


def test_history_starts_with_the_first_delivery() -> None:
    # the lake's first monthly delivery is February's: January's row is left out
    config = cm.CompletionConfig(min_history_months=2)
    result = cm.estimate(TRIANGLE, as_of=AS_OF, config=config, first_delivery_month=FEB)
    dev = result.developments["part_b"]
    # f(0) over Feb, Mar: (280 + 180) / (200 + 120) = 1.4375; f(1) would rest on Feb alone
    assert [(s.age_to_age, s.cumulative, s.observations) for s in dev.steps] == [
        (Decimal("1.437500"), Decimal("1.437500"), 2), (Decimal(1), Decimal(1), 1)]
    assert "service months 2024-02..2024-03" in dev.source
    assert any("before 2024-02 are not used" in n for n in dev.notes)
    # aco.toml history_from wins over the first delivery
    config = cm.parse_completion_config({"history_from": "2024-01", "min_history_months": 2})
    assert config.history_from == JAN
    again = cm.estimate(TRIANGLE, as_of=AS_OF, config=config, first_delivery_month=FEB)
    assert again.developments["part_b"].steps[0].age_to_age == Decimal("1.452381")
    assert cm.parse_completion_config({"history_from": date(2024, 3, 9)}).history_from == MAR


def test_configured_factors_override_the_estimate() -> None:
    config = cm.parse_completion_config(
        {"factors": {"part_b": {"0": 1.25, "1": "1.05"}}}, "ws/aco.toml")
    result = cm.estimate(TRIANGLE, as_of=AS_OF, config=config)
    cells = result.cells()
    apr, mar, feb = (cells[("part_b", m)] for m in (APR, MAR, FEB))
    assert (apr.completion_factor, apr.completed, apr.complete_percent) == (
        Decimal("1.250000"), Decimal("187.50"), Decimal("80.00"))
    assert (mar.completion_factor, mar.completed) == (Decimal("1.050000"), Decimal("189.00"))
    assert feb.completion_factor == Decimal(1)
    assert apr.factor_source == cm.CONFIGURED == "configured in aco.toml [completion]"
    # families not configured are still estimated (here: no history at all)
    assert result.developments["part_a"].source.startswith("not estimated")

    every = cm.parse_completion_config({"factors": {"0": 2, "1": 1.5}})
    assert set(every.factors) == set(cm.FAMILIES)
    assert every.factors["part_d"] == (Decimal("2.000000"), Decimal("1.500000"))


def test_too_little_history_gives_factor_one_and_a_note() -> None:
    rows = [lag("part_a", MAR, 0, "500"), lag("part_a", MAR, 1, "100"),
            lag("part_a", APR, 0, "400")]
    result = cm.estimate(rows, as_of=AS_OF, config=cm.CompletionConfig())
    dev = result.developments["part_a"]
    assert [(s.cumulative, s.basis) for s in dev.steps] == [(Decimal(1), "tail")]
    assert dev.source.startswith("not estimated (fewer than 3 service months")
    cell = result.cell("part_a", APR)
    assert (cell.as_paid, cell.completed, cell.complete_percent) == (
        Decimal("400.00"), Decimal("400.00"), Decimal("100.00"))
    assert any("too little history" in n for n in result.notes())


@pytest.mark.parametrize(("section", "message"), [
    ({"factor": {}}, r"unknown key\(s\) factor"),
    ({"max_lag_months": 0}, "max_lag_months must be a whole number"),
    ({"min_history_months": True}, "min_history_months must be a whole number"),
    ({"factors": [1.2]}, "factors must be a table"),
    ({"factors": {"0": 1.2, "2": 1.1}}, "every age from 0 to 2; missing 1"),
    ({"factors": {"0": 0.9}}, r'factors\."0" must be a completion factor of at least 1'),
    ({"factors": {"0": "abc"}}, r"factors\.\"0\" = 'abc' is not a number"),
    ({"factors": {"0": True}}, r'factors\."0" must be a number'),
    ({"factors": {"part_c": {"0": 1.1}}}, "factors.part_c: not a claim family"),
    ({"factors": {"0": 1.1, "part_b": {"0": 1.1}}}, "factors.0: not a claim family"),
    ({"factors": {"part_b": {"one": 1.1}}}, "factors.part_b.'one': keys are ages"),
    ({"factors": {"part_b": {}}}, "factors.part_b lists no ages"),
    ({"factors": {"part_b": 1.2}}, "factors.part_b must be a table"),
    ({"history_from": "January"}, "history_from must be a month"),
    ({"history_from": 2024}, "history_from must be a month"),
])
def test_config_errors_name_the_file_and_key(section: dict[str, object], message: str) -> None:
    with pytest.raises(cm.CompletionConfigError, match=message) as err:
        cm.parse_completion_config(section, "/ws/aco.toml")
    assert str(err.value).startswith("/ws/aco.toml: [completion]")


def test_config_from_the_workspace(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", aco_id="A1234", performance_year=2024)
    assert cm.load_completion_config(ws) == cm.CompletionConfig()
    with ws.config_path.open("a", encoding="utf-8") as f:
        f.write('\n[completion]\nmin_history_months = 4\n'
                '[completion.factors.dme]\n"0" = 1.3\n')
    config = cm.load_completion_config(ws)
    assert config.min_history_months == 4
    assert config.factors == {"dme": (Decimal("1.300000"),)}
    with ws.config_path.open("a", encoding="utf-8") as f:
        f.write('"2" = 1.1\n')
    with pytest.raises(cm.CompletionConfigError, match=r"aco\.toml: \[completion\] factors"):
        cm.load_completion_config(ws)


def test_built_aco_newest_month_is_incomplete(built_aco: BuiltAco) -> None:
    ws = built_aco.ws
    with connect(ws) as con:
        as_of = cm.newest_load_date(con)
        assert as_of is not None
        first = cm.first_delivery_month(con)
        periods = data_periods(con, ws.performance_year)
        tables = cm.canonical(con, ws, periods)
        cells = cm.month_completion(con, as_of=as_of, config=cm.CompletionConfig())
        published = con.execute(
            "select count(*) from metric_completion where claim_family = 'total'").fetchall()
    # reference months 2024-10..2025-03: the first monthly delivery starts the history
    assert first == date(2024, 10, 1)
    months = sorted({m for _, m in cells})
    total = {m: cells[("total", m)] for m in months}
    newest = total[months[-1]]
    assert newest.age_months == 0
    assert newest.complete_percent is not None and newest.complete_percent < 100
    assert newest.completed > newest.as_paid > 0
    assert total[months[-2]].complete_percent < 100  # type: ignore[operator]
    for month in months:
        if total[month].age_months >= 6:
            assert total[month].complete_percent == Decimal("100.00"), month
            assert total[month].completed == total[month].as_paid
    for family in cm.FAMILIES:
        assert cells[(family, months[-1])].factor_source == (
            f"estimated: chain ladder over service months 2024-10..2025-02, as of {as_of}")
    # the total is Part A + Part B (+ DME), Part D beside it
    assert newest.as_paid == sum(cells[(f, months[-1])].as_paid for f in cm.TOTAL_FAMILIES)
    assert newest.completed == sum(cells[(f, months[-1])].completed
                                   for f in cm.TOTAL_FAMILIES)

    # the canonical tables: every family + the total per month period, the same numbers
    period_months = [p.period_start for p in periods if p.period_kind == "month"]
    completion = tables["completion"].to_pylist()
    assert len(completion) == len(period_months) * (len(cm.FAMILIES) + 1)
    assert published == [(len(period_months),)]
    for row in completion:
        cell = cells[(row["claim_family"], row["service_month"])]
        assert row["period_id"] == f"{cell.service_month:%Y-%m}"
        assert (row["as_paid"], row["completed"], row["complete_percent"]) == (
            cell.as_paid, cell.completed, cell.complete_percent)
    factors = tables["completion_factors"].to_pylist()
    part_b = [r for r in factors if r["claim_family"] == "part_b"
              and r["period_id"] == f"{period_months[-1]:%Y-%m}"]
    assert [r["lag_months"] for r in part_b] == list(range(len(part_b)))
    assert part_b[0]["cumulative_factor"] > 1 and part_b[0]["basis"] == "chain ladder"
    assert (part_b[-1]["cumulative_factor"], part_b[-1]["basis"]) == (Decimal(1), "tail")


def test_report_completion_cli(built_aco: BuiltAco) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["report", "completion", "--format", "json", "--family", "all",
                                 "--workspace", str(built_aco.ws.root)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {r["claim_family"] for r in out["rows"]} == {*cm.FAMILIES, "total"}
    assert any("chain ladder" in n for n in out["notes"])
    early = runner.invoke(app, ["report", "completion", "--format", "csv",
                                "--as-of", "2024-12-31", "--from", "2024-10-01",
                                "--workspace", str(built_aco.ws.root)])
    assert early.exit_code == 0, early.output
    lines = early.stdout.strip().splitlines()
    assert lines[0] == ",".join(
        ("service_month", "claim_family", "age_months", "as_paid", "complete_percent",
         "completion_factor", "completed"))
    assert [line.split(",")[0] for line in lines[1:]] == ["2024-10-01", "2024-11-01",
                                                          "2024-12-01"]
    bad = runner.invoke(app, ["report", "completion", "--as-of", "someday",
                              "--workspace", str(built_aco.ws.root)])
    assert bad.exit_code != 0
