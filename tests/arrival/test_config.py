"""The [arrival] section: defaults, environment overrides, secrets refused in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from aco_pipeline.arrival.config import ArrivalConfigError, load_arrival_config
from aco_pipeline.arrival.pull import pull
from aco_pipeline.arrival.sftp import parse_sftp_url
from aco_pipeline.arrival.source import ArrivalError, redact_url
from aco_pipeline.config import Workspace

from .conftest import write_arrival


def test_defaults_and_relative_paths(ws: Workspace) -> None:
    write_arrival(ws, {})
    cfg = load_arrival_config(ws, env={})
    assert cfg.sources == ()
    assert cfg.download_dir == ws.root / ".aco" / "downloads"
    assert cfg.stability_seconds == 30.0
    write_arrival(ws, {"known_hosts": "keys/known_hosts", "sftp": {"key_file": "k"}})
    cfg = load_arrival_config(ws, env={"ACO_SFTP_PASSWORD": "pw", "ACO_S3_ENDPOINT_URL": "x"})
    assert cfg.known_hosts == ws.root / "keys" / "known_hosts"
    assert cfg.sftp_auth.key_file == ws.root / "k"
    assert "pw" not in repr(cfg)  # secrets stay out of reprs (and so out of tracebacks)


@pytest.mark.parametrize("arrival", [
    {"sftp": {"password": "hunter2"}},
    {"stability_seconds": -1},
    {"sources": "sftp://x"},
    {"surprise": 1},
    {"storage_options": {"s3": "http://x"}},
    {"incomplete_alert_hours": -1},
    {"incomplete_alert_hours": "2 days"},
])
def test_invalid_sections_are_refused(ws: Workspace, arrival: dict[str, object]) -> None:
    write_arrival(ws, arrival)
    with pytest.raises(ArrivalConfigError) as exc:
        load_arrival_config(ws, env={})
    assert "hunter2" not in str(exc.value)


def test_password_in_url_is_refused_and_redacted() -> None:
    with pytest.raises(ArrivalError) as exc:
        parse_sftp_url("sftp://aco:s3cr3t@example.org:2222/out")
    assert "s3cr3t" not in str(exc.value)
    assert redact_url("sftp://aco:s3cr3t@example.org:2222/out") == \
        "sftp://aco@example.org:2222/out"
    t = parse_sftp_url("sftp://aco@example.org:2222/out/box")
    assert (t.user, t.host, t.port, t.path) == ("aco", "example.org", 2222, "/out/box")


def test_unsupported_url(ws: Workspace, tmp_path: Path) -> None:
    [r] = pull(ws, ["ftp://example.org/x"])
    assert r.error is not None and "unsupported URL" in r.error


def test_incomplete_alert_hours(ws: Workspace) -> None:
    assert load_arrival_config(ws, env={}).incomplete_alert_hours == 48
    write_arrival(ws, {"incomplete_alert_hours": 6})
    assert load_arrival_config(ws, env={}).incomplete_alert_hours == 6
