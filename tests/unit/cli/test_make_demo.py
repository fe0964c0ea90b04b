"""`make demo` needs nothing but the installed model: it renders its own sample runner (issue 23)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import REPO


def test_make_demo_runs_on_a_rendered_sample_not_on_a_developer_clip():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # As a new user runs it: no FORMCAM_ variables, and not inside another make (make test), whose flags
    # would add "Entering directory" lines.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORMCAM_", "MAKE", "MFLAGS"))}
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "demo"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert dry.returncode == 0, dry.stderr
    recipe = dry.stdout.strip().splitlines()[-1]
    assert recipe.endswith("formcam demo"), dry.stdout
    assert "analyze" not in dry.stdout and ".mp4" not in dry.stdout
