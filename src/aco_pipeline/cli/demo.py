"""`aco demo`: a synthetic ACO, ingested end to end, on the embedded default engine.

The demo workspace's aco.toml also gets illustrative `[expenditure]` and `[benchmark]`
sections (marked as demo values, `[demo] illustrative_sections`), so that every README
example runs on it: `aco report expenditure`, `aco forecast`, `aco report bridge`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from aco_pipeline.cli.app import app
from aco_pipeline.cli.build import build
from aco_pipeline.cli.common import WorkspaceOption, console, fail

if TYPE_CHECKING:
    from aco_pipeline.config import Workspace


@app.command()
def demo(
    workspace: WorkspaceOption = None,
    beneficiaries: Annotated[int, typer.Option(help="Synthetic beneficiaries.")] = 2000,
    start: Annotated[str, typer.Option(help="First reference month, YYYY-MM.")] = "2024-01",
    months: Annotated[int, typer.Option(help="Monthly deliveries to generate.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    logins: Annotated[bool, typer.Option(
        "--logins", help="Also create one web login per role (passwords generated for this "
        "workspace) and print them.")] = False,
    serve: Annotated[bool, typer.Option(
        "--serve", help="Create the logins, print them and the URL, then serve the web app "
        "(aco serve) until Ctrl-C.")] = False,
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8000,
) -> None:
    """Create a workspace, generate a synthetic ACO, ingest it, build the warehouse (DuckDB)
    and print the year's spending by month; with --serve, also start the web app with one
    login per role."""
    from pathlib import Path

    from aco_pipeline.cli.common import byte_progress
    from aco_pipeline.cli.status import status
    from aco_pipeline.config import WorkspaceError, init_workspace, load_workspace, resolve_root
    from aco_pipeline.ingest.pipeline import ingest
    from aco_pipeline.synth import generate

    root = resolve_root(workspace)
    aco_id = "A9999"
    try:
        year = int(start[:4])
        ws = (load_workspace(root) if (root / "aco.toml").exists()
              else init_workspace(root, aco_id=aco_id, performance_year=year))
    except (WorkspaceError, ValueError) as exc:
        fail(str(exc))
    added = write_demo_parameters(ws)
    if added:
        console().print(f"wrote demo values for [{'], ['.join(added)}] into {ws.config_path} "
                        "(illustrative, not CMS figures)", highlight=False)
    synthetic = Path(ws.root) / "synthetic"
    inbox = synthetic / "deliveries"
    if inbox.is_dir():
        console().print(f"using the deliveries already in {inbox}")
    else:
        console().print(f"generating {beneficiaries:,} beneficiaries x {months} months "
                        f"from {start} into {synthetic}")
        generate(synthetic, beneficiaries=beneficiaries, start=start, months=months, seed=seed,
                 aco_id=ws.aco_id)
    with byte_progress() as sink:
        outcomes = ingest(ws, [inbox], progress=sink)
    for o in outcomes:
        console().print(f"{o.status:<11} {o.message}", highlight=False)
    status(workspace=ws.root, as_json=False, checks=False)
    if any(o.status in ("quarantined", "rejected") for o in outcomes):
        raise typer.Exit(2)
    build(workspace=ws.root, threads=2)
    _spend_by_month(ws, year)
    if logins or serve:
        _print_logins(ws, port)
    if serve:
        from aco_pipeline.cli.serve import serve as serve_command

        serve_command(workspace=ws.root, host="127.0.0.1", port=port, behind_proxy=False,
                      proxy_address="127.0.0.1", require_totp=False)


def _print_logins(ws: Workspace, port: int) -> None:
    """One web login per role with a password generated for this workspace."""
    from rich.table import Table

    from aco_pipeline.web.demo_logins import demo_logins

    table = Table("role", "username", "password", "scope",
                  title=f"web logins for http://127.0.0.1:{port}/")
    for login in demo_logins(ws):
        table.add_row(login.role.value, login.username, login.password,
                      f"TIN {login.tin}" if login.tin else "whole ACO")
    console().print(table)
    console().print("(passwords are generated for this workspace; `aco user reset-password` "
                    "replaces one)", highlight=False)


def _spend_by_month(ws: Workspace, year: int) -> None:
    """The year's spend by month of service, as paid beside completed (`aco report spend
    --by month`: the same function and the same notes)."""
    from datetime import date

    from aco_pipeline.cli.output import Format, emit
    from aco_pipeline.metrics.completion import load_completion_config
    from aco_pipeline.metrics.spend import monthly_spend
    from aco_pipeline.warehouse.read import connect

    with connect(ws) as con:
        rep = monthly_spend(con, start=date(year, 1, 1), end=date(year, 12, 31), runout=None,
                            config=load_completion_config(ws))
    emit(rep.columns, rep.rows, Format.table, notes=rep.notes,
         title=f"{ws.aco_id}: net paid by month of service, {year}: as paid and completed")
    console().print(f"warehouse: {ws.warehouse_path}  (try `aco report spend --help`, "
                    "`aco report bridge --help`)")


# --- demo parameters ----------------------------------------------------------------------------

DEMO_HEADER = """
# ---------------------------------------------------------------------------------------------
# DEMO VALUES written by `aco demo` for its synthetic ACO: illustrative, NOT CMS figures.
# Replace them with your ACO's own: the QEXPU report's parameters page ([expenditure],
# docs/expenditure.md) and the benchmark report and agreement ([benchmark], docs/forecast.md).
# ---------------------------------------------------------------------------------------------
[demo]
synthetic = true
illustrative_sections = [{sections}]
"""

# Truncation factors and the completion factor are the CMS guide v4's worked examples (Appendix
# A phase 5, Tables 10 and 11); thresholds are round illustrative dollars. Sequestration is the
# fixed 2% of the guide's step 1 (no parameter).
DEMO_EXPENDITURE = """
# DEMO VALUES (see [demo] above)
[expenditure]
method = "thresholds"            # Table 10; `--method factors` uses the factors below
completion_factor = "1.072"      # the guide's Table 10 example (adds 7.2%)

[expenditure.truncation_thresholds]  # dollars per annualised beneficiary-type
esrd = "420000"
disabled = "160000"
aged_dual = "185000"
aged_non_dual = "120000"

[expenditure.truncation_factors]     # fractions, the guide's Table 11 example
esrd = "0.0122"
disabled = "0.0578"
aged_dual = "0.0216"
aged_non_dual = "0.0450"
"""

# Per-capita benchmarks about 8% above the default demo's (2,000 beneficiaries, seed 7, PY2024)
# projected expenditure per capita as of 2024-10-15: a savings rate of about 7.5% against a
# variable MSR of about 7% (about 1,900 assigned), so the forecast sits near its MSR and the
# what-ifs and the interval (probability of earning savings about 56%) are informative.
DEMO_BENCHMARK = """
# DEMO VALUES (see [demo] above)
[benchmark]
track = "E"                      # BASIC level E (two-sided)
msr = "variable"
quality_met = true

[benchmark.per_capita]           # dollars per assigned beneficiary
esrd = "40250.00"
disabled = "10025.00"
aged_dual = "10620.00"
aged_non_dual = "10525.00"
"""

DEMO_SECTIONS: dict[str, str] = {"expenditure": DEMO_EXPENDITURE, "benchmark": DEMO_BENCHMARK}


def write_demo_parameters(ws: Workspace) -> list[str]:
    """Append the demo `[expenditure]` and `[benchmark]` sections to the workspace's aco.toml,
    each only when the file has no such section (a user's own values are never replaced);
    returns the sections written."""
    from aco_pipeline.config import load_section

    missing = [name for name in DEMO_SECTIONS if not load_section(ws, name)]
    if not missing:
        return []
    marked = bool(load_section(ws, "demo"))
    text = "" if marked else DEMO_HEADER.format(
        sections=", ".join(f'"{name}"' for name in missing))
    text += "".join(DEMO_SECTIONS[name] for name in missing)
    with ws.config_path.open("a", encoding="utf-8") as fh:
        fh.write(text)
    return missing
