"""Where the repository and ../shared are, and whether this is CI (where nothing may be skipped)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
SHARED = REPO.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"


def shared_path(*parts: str) -> Path:
    """A path in ../shared; skip with a reason when it is absent, except in CI where it must exist."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing; CI must have ../shared")
        pytest.skip(f"{path} is absent (the W3C and DCAT-AP material lives in ../shared)")
    return path
