"""Every command of the README's "Using it" block works, run as a user would: the `aco`
console script in a subprocess, against a workspace made by `aco demo`.

The workspace-making commands (`aco init`, `aco synth`, `aco ingest`) run in their own folder
with a smaller synthetic ACO (`--beneficiaries` is scaled down, nothing else is changed); every
other command runs against the demo workspace. `aco docs --serve` runs without `--serve` (it
would wait for a browser); `aco settle` reads CMS's PUF from ../shared (skipped when absent).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_PUF = ROOT.parent / "shared" / "data" / "mssp_puf"
MAKES_WORKSPACE = ("init", "synth", "ingest")


def readme_commands() -> list[list[str]]:
    """The `aco ...` commands of the README's "Using it" code block, continuation lines joined
    and comments dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Using it", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    joined = re.sub(r"\\\n\s*", " ", block)
    out = []
    for line in joined.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("aco "):
            out.append(shlex.split(line))
    return out


def _aco() -> str:
    exe = Path(sys.executable).with_name("aco")
    assert exe.is_file(), f"the aco console script is not installed beside {sys.executable}"
    return str(exe)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_aco(), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900, check=False)


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("readme") / "demo-workspace"
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("ACO_WORKSPACE", None)
    res = _run(["demo", "--workspace", str(root), "--beneficiaries", "300"], root.parent, env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return root


def test_the_readme_lists_the_commands() -> None:
    names = {c[1] for c in readme_commands()}
    assert {"init", "synth", "ingest", "status", "build", "report", "forecast",
            "settle"} <= names


def test_every_readme_command_works(demo_workspace: Path, tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("ACO_WORKSPACE", None)
    own = tmp_path / "own"
    own.mkdir()
    failures = []
    for cmd in readme_commands():
        args = cmd[1:]
        if args[0] in MAKES_WORKSPACE:
            args = ["200" if prev == "--beneficiaries" else a
                    for prev, a in zip(["", *args[:-1]], args, strict=True)]
            cwd, run_env = own, {**env, "ACO_WORKSPACE": str(own / "ws")}
        else:
            cwd, run_env = demo_workspace, {**env, "ACO_WORKSPACE": str(demo_workspace)}
        if args[0] == "docs":
            args = [a for a in args if a != "--serve"]
        if args[0] == "settle":
            if not SHARED_PUF.is_dir():
                continue  # CMS's PUF lives in ../shared, absent here
            args = [str(SHARED_PUF / a) if a.endswith(".csv") else a for a in args]
        res = _run(args, cwd, run_env)
        if res.returncode != 0:
            failures.append(f"aco {shlex.join(args)} -> exit {res.returncode}\n"
                            f"{res.stdout[-1500:]}\n{res.stderr[-1500:]}")
    assert not failures, "\n\n".join(failures)
