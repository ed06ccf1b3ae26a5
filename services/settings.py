# SPDX-License-Identifier: EUPL-1.2
"""Settings, read from the environment (prefix ``STRATA_``) when asked for, never at import."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from layers.catalogue import DEFAULT_CATALOGUE, PROJECT_ROOT
from layers.responsibility import DEFAULT_RESPONSIBILITY

# a list in the environment: comma-separated ("a,b"), or a JSON list ('["a", "b"]')
Names = Annotated[list[str], NoDecode]
# why a setting is not valid, by pydantic's type of error, in the words of this project
# (services/error_messages.json has their French and Dutch); a validator's own otherwise
PG_INT_MAX = 2_147_483_647  # PostgreSQL's integer settings (statement_timeout, in ms)
REASONS = {"int_parsing": "must be a whole number, such as 8",
           "int_from_float": "must be a whole number, such as 8",
           "float_parsing": "must be a number, such as 2.5",
           "bool_parsing": "must be true or false",
           "list_type": "must be a list: values separated by commas",
           "string_type": "must be a text"}


def reason(error: dict[str, Any]) -> str:
    """Why a setting is not valid, from one of pydantic's errors: :data:`REASONS`, or the
    text of the validator that refused it."""
    return REASONS.get(str(error.get("type")), str(error.get("msg", "")).removeprefix(
        "Value error, "))


def _names(value: Any) -> Any:
    """A list setting as the environment gives it: a JSON list, or values separated by
    commas (blanks around them dropped, empty ones too)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            raise ValueError("must be a list: values separated by commas") from None
    return [part.strip() for part in text.split(",") if part.strip()]


class StoreSettings(BaseSettings):
    """Where the versioned store lives.

    ``database_url`` unset means the project-local PostGIS (``strata db up``).
    """

    model_config = SettingsConfigDict(env_prefix="STRATA_", env_file=None, extra="ignore")

    database_url: str | None = None
    schema_name: str = "strata"
    catalogue: Path = DEFAULT_CATALOGUE
    responsibility: Path = DEFAULT_RESPONSIBILITY
    project_root: Path = PROJECT_ROOT
    # the raster surfaces' files (COGs); default .strata/surfaces under the project root
    surfaces_dir: Path | None = None

    @field_validator("schema_name")
    @classmethod
    def _schema(cls, value: str) -> str:
        if not re.match(r"^[a-z_][a-z0-9_]{0,62}$", value):
            raise ValueError("must be a lowercase SQL name (letters, digits, _)")
        return value


class ServiceSettings(BaseSettings):
    """How the OGC API service is served."""

    model_config = SettingsConfigDict(env_prefix="STRATA_", env_file=None, extra="ignore")

    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 1
    base_url: str | None = None  # the public URL; default http://localhost:<port>
    # the service's roles (versioning/roles.py); default: the store's URL as that role
    reader_database_url: str | None = None  # every read of the API
    reporter_database_url: str | None = None  # Open311 reports: read, insert reports
    linker_database_url: str | None = None  # the link process: read, temporary tables
    pool_size: int = 8
    max_items: int = 10_000
    # limits that protect the service (each tested in tests/test_limits.py)
    statement_timeout_ms: int = 30_000  # one SQL statement of the service's roles
    pool_timeout_s: float = 5.0  # wait for a database connection before answering 503
    retry_after_s: int = 5  # Retry-After of a 503
    max_body_bytes: int = 1_500_000  # request bodies (Open311 reports, link process)
    max_url_length: int = 8_192  # path and query, in bytes
    max_filter_length: int = 10_000  # a CQL2 filter, in characters
    max_filter_depth: int = 40  # nesting of a CQL2 filter (AND / OR / NOT / comparisons)
    cache_max_bytes: int = 2_000_000_000  # the download cache, least recently used out
    cors_origins: Names = ["*"]  # origins allowed to read the API from a browser
    failed_key_limit: int = 10  # failed Open311 API keys per address and minute
    # vector tiles: features encoded per layer and tile at most (Strata-Tile-Capped: true
    # when more were found); the layers of the map tileset /tiles, bottom first; an outside
    # basemap (a tile URL template) named in /tiles/WebMercatorQuad?f=tilejson, never fetched
    tile_max_features: int = 20_000
    # the tiles made, kept in memory by their ETag (least recently used out; 0: none)
    tile_cache_bytes: int = 256_000_000
    # and in a folder every worker shares (next to the downloads; 0: none)
    tile_disk_cache_bytes: int = 1_000_000_000
    # the viewer's opening view made when the service starts (services/tile_seed.py), and
    # made again, every seed_interval_s, when a new edition has changed it
    seed_tiles: bool = True
    seed_interval_s: float = 60.0
    tile_map_layers: Names = ["region", "municipalities", "districts", "streets"]
    basemap_url: str | None = None
    # beyond one machine (docs/DEPLOYMENT.md): PostgreSQL standbys for reads, as the reader
    # role, comma-separated; how often their replay position and health are read; how long
    # a request waits for a standby's connection before the primary answers it instead
    read_urls: str = ""
    replica_check_s: float = 0.5
    replica_timeout_s: float = 1.0
    # connections go through PgBouncer in transaction pooling mode: no prepared statements
    pgbouncer: bool = False
    # the download cache: a folder every instance sees (shared storage); default
    # .strata/pygeoapi/<schema>/downloads under the project
    cache_dir: Path | None = None

    @field_validator("pool_size", "max_items", "statement_timeout_ms", "pool_timeout_s",
                     "retry_after_s", "max_body_bytes", "max_url_length", "max_filter_length",
                     "max_filter_depth", "cache_max_bytes", "failed_key_limit",
                     "tile_max_features", "replica_check_s", "replica_timeout_s",
                     "seed_interval_s")
    @classmethod
    def _positive(cls, value: float) -> float:
        if not math.isfinite(value):  # nan, inf: no limit is no limit
            raise ValueError("must be a finite number")
        if value <= 0:
            raise ValueError("must be greater than 0")
        return value

    @field_validator("statement_timeout_ms")
    @classmethod
    def _postgres_int(cls, value: int) -> int:
        if value > PG_INT_MAX:
            raise ValueError("must be at most 2147483647 (PostgreSQL's limit)")
        return value

    @field_validator("port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 1 <= value <= 65535:
            raise ValueError("must be a port number, from 1 to 65535")
        return value

    @field_validator("workers")
    @classmethod
    def _workers(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be 1 or more")
        return value

    @field_validator("cors_origins", "tile_map_layers", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _names(value)

    @field_validator("tile_cache_bytes", "tile_disk_cache_bytes")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be 0 (no cache) or more")
        return value

    def replica_urls(self) -> list[str]:
        """The standbys' URLs or connection strings (``read_urls``, split on commas)."""
        return [u.strip() for u in self.read_urls.split(",") if u.strip()]

    def public_url(self) -> str:
        """The service's public base URL, without a trailing slash."""
        return (self.base_url or f"http://localhost:{self.port}").rstrip("/")
