# SPDX-License-Identifier: EUPL-1.2
"""Settings, read from the environment (prefix ``STRATA_``) when asked for, never at import."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from layers.catalogue import DEFAULT_CATALOGUE, PROJECT_ROOT


class StoreSettings(BaseSettings):
    """Where the versioned store lives.

    ``database_url`` unset means the project-local PostGIS (``strata db up``).
    """

    model_config = SettingsConfigDict(env_prefix="STRATA_", env_file=None, extra="ignore")

    database_url: str | None = None
    schema_name: str = "strata"
    catalogue: Path = DEFAULT_CATALOGUE
    project_root: Path = PROJECT_ROOT

    @field_validator("schema_name")
    @classmethod
    def _schema(cls, value: str) -> str:
        if not re.match(r"^[a-z_][a-z0-9_]{0,62}$", value):
            raise ValueError("must be a lowercase SQL name (letters, digits, _)")
        return value
