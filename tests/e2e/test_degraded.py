"""A false refusal is worse than a warning: degraded copies of the real running clips are still analysed.

Every real running clip that formcam analyses as it is
(:data:`tests.helpers.degrade.ANALYSED_CLIPS`) is copied darkened, very dark,
downscaled to 360 px, at 24 fps, at CRF 35 and motion-blurred
(:data:`tests.helpers.degrade.DEGRADATIONS`), each trimmed to its first 10 s
as the reference copy is.  Each copy must exit 0 with the original's cadence
within 2 % and the quality warning that names its problem.  The walking and
gym clips stay refused (``tests/e2e/test_bad_inputs.py``).

The copies are made once per session in pytest's temporary folder; each is
analysed once with ``--no-video --format json`` (no annotated video, no
HTML: the numbers and the exit code are what is tested).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.degrade import ANALYSED_CLIPS, DEGRADATIONS, ORIGINAL, Degradation, degraded_copy
from tests.helpers.media import need_ffmpeg

pytestmark = pytest.mark.e2e

#: Cadence of a degraded copy within this share of the original copy's.
CADENCE_TOLERANCE = 0.02

FRONT = "outdoor_front_portrait_pace_labels.mp4"
TIKTOK = "treadmill_side_portrait_tiktok_overlay.mp4"
#: Copies formcam still gets wrong (measured on the shared machine, docs/validation.md's trust table): the
#: pose model's failures, not a refusal's; each is an expected failure until the pose stage copes with it,
#: strict where the miss is far from the line.
KNOWN_FAILURES = {
    (FRONT, "dark"): ("the pose model loses the runner in the dark: in view 2.4 s of 10, refused as too short", True),
    (FRONT, "very_dark"): ("as dark: the runner is found in 2.4 s of 10, refused as too short", True),
    (FRONT, "blur"): ("the blurred small frontal runner's steps are timed 9 % slow (141 vs 156 steps/min)", True),
    (TIKTOK, "blur"): ("12 steps left after long gaps: 2.04 % off (165.1 vs 161.8 steps/min)", False),
}


def _cases():
    for clip in ANALYSED_CLIPS:
        for how in DEGRADATIONS:
            known = KNOWN_FAILURES.get((clip, how.name))
            marks = [pytest.mark.xfail(reason=known[0], strict=known[1])] if known else []
            yield pytest.param(clip, how, id=f"{Path(clip).stem}-{how.name}", marks=marks)


@pytest.fixture(scope="session")
def analysed_copy(shared_video, model_path, tmp_path_factory):
    """Return a function: (clip, degradation) -> (process, report or None), each made and analysed once."""
    folder = tmp_path_factory.mktemp("degraded")
    runs: dict[tuple[str, str], tuple[subprocess.CompletedProcess, dict | None]] = {}

    def get(clip: str, how: Degradation):
        key = (clip, how.name)
        if key not in runs:
            need_ffmpeg()
            video = degraded_copy(shared_video(clip), folder / f"{Path(clip).stem}__{how.name}.mp4", how)
            out = folder / f"{video.stem}_out"
            env = {**os.environ, "FORMCAM_MODEL_DIR": str(model_path.parent)}
            proc = subprocess.run(
                [sys.executable, "-m", "formcam", "analyze", str(video), "--out", str(out), "-q", "--no-video"]
                + ["--format", "json"],
                capture_output=True,
                text=True,
                env=env,
                timeout=900,
            )
            report = json.loads((out / "report.json").read_text()) if proc.returncode == 0 else None
            runs[key] = (proc, report)
        return runs[key]

    return get


@pytest.mark.parametrize(("clip", "how"), list(_cases()))
def test_a_degraded_running_clip_is_analysed_with_the_originals_cadence_and_a_warning(analysed_copy, clip, how):
    original, reference = analysed_copy(clip, ORIGINAL)
    assert original.returncode == 0, original.stderr
    proc, report = analysed_copy(clip, how)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, f"{how.label}: {proc.stderr.strip()}"
    assert report is not None and reference is not None
    assert report["runner"]["is_running"] is True and report["runner"]["forced"] is False
    expected, got = reference["cadence_spm"]["value"], report["cadence_spm"]["value"]
    assert expected is not None and got is not None, (expected, got)
    assert abs(got - expected) <= CADENCE_TOLERANCE * expected, (how.name, got, expected)
    codes = {warning["code"] for warning in report["quality"]}
    if how.warnings:
        assert codes & set(how.warnings), (how.name, sorted(codes))
