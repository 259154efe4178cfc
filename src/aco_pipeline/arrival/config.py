"""The `[arrival]` section of `aco.toml`: where deliveries come from and how they are awaited.

Read here rather than in `config.py` so the workspace loader stays small; a workspace without
the section gets the defaults. Secrets (SFTP password, key passphrase, cloud credentials) are
never read from the file: they come from the environment (see docs/arrival.md).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aco_pipeline.config import Workspace
from aco_pipeline.errors import AcoError

ENV_SFTP_PASSWORD = "ACO_SFTP_PASSWORD"
ENV_SFTP_KEY_FILE = "ACO_SFTP_KEY_FILE"
ENV_SFTP_KEY_PASSPHRASE = "ACO_SFTP_KEY_PASSPHRASE"
ENV_KNOWN_HOSTS = "ACO_KNOWN_HOSTS"
ENV_S3_ENDPOINT = "ACO_S3_ENDPOINT_URL"

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"
DEFAULT_DOWNLOAD_DIR = ".aco/downloads"
DEFAULT_INCOMPLETE_ALERT_HOURS = 48.0


class ArrivalConfigError(AcoError, ValueError):
    """The `[arrival]` section is invalid."""


@dataclass(frozen=True, slots=True)
class SftpAuth:
    """How to log in; `password` and `key_passphrase` only ever come from the environment."""

    key_file: Path | None = None
    password: str | None = field(default=None, repr=False)
    key_passphrase: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ArrivalConfig:
    sources: tuple[str, ...] = ()
    known_hosts: Path = field(default_factory=lambda: Path(DEFAULT_KNOWN_HOSTS).expanduser())
    # a file counts as arrived when its size and modification time stayed the same this long
    stability_seconds: float = 30.0
    # `aco watch`: how often the drop folder is checked again besides file-system events
    poll_seconds: float = 5.0
    download_dir: Path = Path(DEFAULT_DOWNLOAD_DIR)
    connect_timeout: float = 30.0
    chunk_size: int = 1 << 20
    sftp_auth: SftpAuth = SftpAuth()
    # fsspec storage options per protocol (s3, gs, az, ...), never credentials
    storage_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    # `aco run` exits EXIT_OVERDUE (3) once an incomplete delivery has waited longer than
    # this many hours for the rest of its files (0: never)
    incomplete_alert_hours: float = DEFAULT_INCOMPLETE_ALERT_HOURS

    def options_for(self, protocol: str) -> dict[str, Any]:
        opts = dict(self.storage_options.get(protocol, {}))
        if protocol in ("s3", "s3a") and os.environ.get(ENV_S3_ENDPOINT):
            opts["endpoint_url"] = os.environ[ENV_S3_ENDPOINT]
        return opts


def _number(section: dict[str, Any], key: str, default: float, where: str,
            unit: str = "seconds") -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ArrivalConfigError(f"{where}: {key} must be a number of {unit} >= 0")
    return float(value)


def _path(value: object, root: Path, where: str) -> Path:
    if not isinstance(value, str) or not value:
        raise ArrivalConfigError(f"{where}: expected a path")
    p = Path(value).expanduser()
    return p if p.is_absolute() else root / p


def load_arrival_config(ws: Workspace, env: dict[str, str] | None = None) -> ArrivalConfig:
    """The workspace's `[arrival]` settings, with defaults and environment overrides."""
    env = dict(os.environ) if env is None else env
    path = ws.config_path
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ArrivalConfigError(f"{path}: cannot read ({type(exc).__name__})") from exc
    section = data.get("arrival", {})
    where = f"{path} [arrival]"
    if not isinstance(section, dict):
        raise ArrivalConfigError(f"{where}: must be a table")
    allowed = {"sources", "known_hosts", "stability_seconds", "poll_seconds", "download_dir",
               "connect_timeout", "chunk_size", "sftp", "storage_options",
               "incomplete_alert_hours"}
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise ArrivalConfigError(f"{where}: unknown keys {', '.join(unknown)}")

    sources = section.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise ArrivalConfigError(f"{where}: sources must be a list of URLs")

    known_hosts = env.get(ENV_KNOWN_HOSTS) or section.get("known_hosts", DEFAULT_KNOWN_HOSTS)
    chunk = section.get("chunk_size", 1 << 20)
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1024:
        raise ArrivalConfigError(f"{where}: chunk_size must be an integer >= 1024")

    sftp = section.get("sftp", {})
    if not isinstance(sftp, dict):
        raise ArrivalConfigError(f"{where}: [arrival.sftp] must be a table")
    if "password" in sftp or "passphrase" in sftp:
        raise ArrivalConfigError(
            f"{where}: secrets do not belong in aco.toml; set {ENV_SFTP_PASSWORD} or "
            f"{ENV_SFTP_KEY_PASSPHRASE} in the environment instead"
        )
    key_file = env.get(ENV_SFTP_KEY_FILE) or sftp.get("key_file")
    auth = SftpAuth(
        key_file=_path(key_file, ws.root, f"{where} sftp.key_file") if key_file else None,
        password=env.get(ENV_SFTP_PASSWORD) or None,
        key_passphrase=env.get(ENV_SFTP_KEY_PASSPHRASE) or None,
    )

    storage = section.get("storage_options", {})
    if not isinstance(storage, dict) or not all(isinstance(v, dict) for v in storage.values()):
        raise ArrivalConfigError(
            f"{where}: storage_options must hold one table per protocol, "
            "like [arrival.storage_options.s3]"
        )
    return ArrivalConfig(
        sources=tuple(sources),
        known_hosts=_path(known_hosts, ws.root, f"{where} known_hosts"),
        stability_seconds=_number(section, "stability_seconds", 30.0, where),
        poll_seconds=_number(section, "poll_seconds", 5.0, where),
        download_dir=_path(section.get("download_dir", DEFAULT_DOWNLOAD_DIR), ws.root,
                           f"{where} download_dir"),
        connect_timeout=_number(section, "connect_timeout", 30.0, where),
        chunk_size=chunk,
        sftp_auth=auth,
        storage_options={str(k): dict(v) for k, v in storage.items()},
        incomplete_alert_hours=_number(section, "incomplete_alert_hours",
                                       DEFAULT_INCOMPLETE_ALERT_HOURS, where, "hours"),
    )
