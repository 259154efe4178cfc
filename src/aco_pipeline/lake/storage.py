"""Where a workspace keeps its raw copies and its lake: a local folder or an fsspec URL.

`[storage] raw` and `lake` in aco.toml are either paths (relative to the workspace unless
absolute, or `file://` URLs) or URLs of any fsspec file system (`s3://bucket/prefix`, `gs://`,
`az://`...). A `Storage` names one of them; the local case keeps using plain `pathlib` and
POSIX renames (see lake.publish, ingest.landing), the remote case goes through fsspec.

Options for the file system (an S3 endpoint, a region...) come from `[storage.options]` and,
for S3, `ACO_S3_ENDPOINT_URL`; credentials only from the environment (botocore's usual
`AWS_*` variables, gcsfs / adlfs theirs). A credential written into aco.toml is refused.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aco_pipeline.errors import AcoError

ENV_S3_ENDPOINT = "ACO_S3_ENDPOINT_URL"  # the same variable `aco pull` reads
URL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://(.*)$")
# option names that carry credentials: those belong in the environment, never in aco.toml
SECRET_OPTIONS = frozenset({
    "key", "secret", "token", "password", "passphrase", "credentials", "session_token",
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "account_key",
    "sas_token", "connection_string", "client_secret",
})


class StorageError(AcoError, RuntimeError):
    """The storage location is unusable (bad URL, missing library, unreachable)."""


@dataclass(frozen=True, slots=True)
class Storage:
    """One storage location: `url` is the absolute local path (local) or the URL (remote)."""

    url: str
    protocol: str = "file"
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def is_local(self) -> bool:
        return self.protocol in ("file", "local")

    @property
    def local_path(self) -> Path:
        if not self.is_local:
            raise StorageError(f"{self.url} is not a local folder")
        return Path(self.url)

    @property
    def root(self) -> str:
        """The location as a path of its file system (`bucket/prefix` for S3)."""
        if self.is_local:
            return self.url
        m = URL.match(self.url)
        assert m is not None
        return m.group(2).rstrip("/")

    def fs(self) -> Any:
        """The fsspec file system. fsspec reuses one instance per protocol and options (a
        client costs a connection set-up); callers drop its listing cache before they list."""
        import fsspec

        if self.is_local:
            return fsspec.filesystem("file")
        try:
            return fsspec.filesystem(self.protocol, **dict(self.options))
        except (ImportError, ValueError) as exc:
            raise StorageError(f"{self.url}: cannot use this storage ({exc})") from None

    def path(self, *parts: str) -> str:
        """A path inside the location, for its file system."""
        return posixpath.join(self.root, *parts) if parts else self.root

    def url_of(self, *parts: str) -> str:
        """A full URL (remote) or absolute path (local) inside the location."""
        if self.is_local:
            return str(Path(self.url, *parts))
        return f"{self.protocol}://{self.path(*parts)}"

    def __str__(self) -> str:
        return self.url


def parse_storage(value: str, root: Path, options: Mapping[str, Any] | None = None,
                  where: str = "[storage]") -> Storage:
    """A `[storage]` value: a path (relative to `root` unless absolute), `file://` or a URL."""
    m = URL.match(value)
    if m is None or m.group(1).lower() in ("file", "local"):
        p = Path(m.group(2) if m else value).expanduser()
        return Storage(str(p if p.is_absolute() else root / p))
    protocol = m.group(1).lower()
    if "@" in m.group(2).split("/", 1)[0]:
        raise StorageError(f"{where}: credentials do not belong in a storage URL; set them in "
                           "the environment (AWS_ACCESS_KEY_ID, ...) instead")
    if not m.group(2).strip("/"):
        raise StorageError(f"{where}: {value!r} names no bucket or container")
    return Storage(value.rstrip("/"), protocol, storage_options(protocol, options or {}, where))


def storage_options(protocol: str, options: Mapping[str, Any], where: str,
                    env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`[storage.options]` for `protocol`, plus the S3 endpoint from the environment.

    A flat table applies to every remote location; a sub-table per protocol
    (`[storage.options.s3]`) applies to that protocol only and wins over the flat keys.
    """
    env = os.environ if env is None else env
    flat = {k: v for k, v in options.items() if not isinstance(v, dict)}
    per = options.get(protocol, {})
    opts: dict[str, Any] = {**flat, **(per if isinstance(per, dict) else {})}
    secret = sorted(k for k in _keys(opts) if k.lower() in SECRET_OPTIONS)
    if secret:
        raise StorageError(
            f"{where}: {', '.join(secret)}: credentials do not belong in aco.toml; set them in "
            "the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE for S3)"
        )
    if protocol in ("s3", "s3a") and env.get(ENV_S3_ENDPOINT):
        opts["endpoint_url"] = env[ENV_S3_ENDPOINT]
    return opts


def _keys(opts: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for k, v in opts.items():
        out.append(str(k))
        if isinstance(v, Mapping):
            out.extend(_keys(v))
    return out


def duckdb_filesystems(lake: Storage) -> list[dict[str, Any]]:
    """dbt-duckdb's `filesystems` profile setting for a remote lake (empty for a local one):
    DuckDB reads `s3://...` through s3fs (fsspec), so no DuckDB extension is needed."""
    if lake.is_local:
        return []
    return [{"fs": lake.protocol, **dict(lake.options)}]
