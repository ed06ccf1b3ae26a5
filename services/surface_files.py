# SPDX-License-Identifier: EUPL-1.2
"""Where the raster surfaces' files live: ``STRATA_SURFACES_DIR`` (default
``.strata/surfaces`` under the project root, git-ignored), one folder per store schema."""

from __future__ import annotations

from pathlib import Path

from services.settings import StoreSettings


def surfaces_root(settings: StoreSettings) -> Path:
    """The folder of the store's surface files (the paths recorded in ``surface`` are
    relative to it)."""
    base = settings.surfaces_dir or settings.project_root / ".strata" / "surfaces"
    return Path(base) / settings.schema_name
