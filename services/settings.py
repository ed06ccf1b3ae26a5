# SPDX-License-Identifier: EUPL-1.2
"""Settings, read from the environment (prefix ``STRATA_``) when asked for, never at import."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from layers.catalogue import DEFAULT_CATALOGUE, PROJECT_ROOT
from layers.responsibility import DEFAULT_RESPONSIBILITY


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
    reader_database_url: str | None = None  # default: the store's URL as role strata_reader
    pool_size: int = 8
    max_items: int = 10_000

    def public_url(self) -> str:
        """The service's public base URL, without a trailing slash."""
        return (self.base_url or f"http://localhost:{self.port}").rstrip("/")
