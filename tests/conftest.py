"""Shared fixtures: where the real clips and the real pose model are.

``FORMCAM_VIDEOS_DIR`` and ``FORMCAM_MODEL_DIR`` point at them (``.ci/run`` sets
both to ``../shared/...``). When a variable is set and the asset is missing the
test *fails*, so CI can never pass by skipping; when unset, the sibling
``../shared`` folder is tried and the test is skipped only if that is absent too.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def _asset_dir(env_var: str, default: Path) -> tuple[Path, bool]:
    value = os.environ.get(env_var)
    return (Path(value), True) if value else (default, False)


def _require(path: Path, env_var: str, required: bool) -> Path:
    if path.exists():
        return path
    if required:
        pytest.fail(f"{env_var} is set but {path} does not exist")
    pytest.skip(f"{path} not available (set {env_var})")


@pytest.fixture(scope="session")
def videos_dir() -> Path:
    directory, required = _asset_dir("FORMCAM_VIDEOS_DIR", SHARED / "videos")
    return _require(directory, "FORMCAM_VIDEOS_DIR", required)


@pytest.fixture(scope="session")
def shared_video(videos_dir):
    """Return a function: name -> path of a real clip (fails if missing under CI)."""
    required = bool(os.environ.get("FORMCAM_VIDEOS_DIR"))

    def get(name: str) -> Path:
        return _require(videos_dir / name, "FORMCAM_VIDEOS_DIR", required)

    return get


@pytest.fixture(scope="session")
def model_path() -> Path:
    directory, required = _asset_dir("FORMCAM_MODEL_DIR", SHARED / "models")
    return _require(directory / "pose_landmarker_full.task", "FORMCAM_MODEL_DIR", required)
