"""End to end: a rendered run written 4 times slow with no slow-motion metadata is refused naming --slowmo 4,
and analysed right with it (issue 20, point 6)."""

from __future__ import annotations

import re

import pytest

from formcam.errors import NothingToAnalyseError
from formcam.pipeline import AnalysisOptions, analyze
from formcam.synthetic.render import ClipSpec, Gait, render_clip

pytestmark = pytest.mark.e2e


def test_slow_motion_without_metadata_is_named_and_analysed_with_it(model_path, tmp_path):
    spec = ClipSpec(view="side", gait=Gait(), fps=120.0, slowmo=4.0, slowmo_metadata=False, duration_s=4.0)
    files = render_clip(spec, tmp_path / "slow.mp4")
    options = AnalysisOptions(model=str(model_path), outputs=frozenset(), progress=False)
    with pytest.raises(NothingToAnalyseError) as refused:
        analyze(files.video, options=options)
    advised = int(re.search(r"about (\d+)x slow motion: run again with --slowmo (\d+)", str(refused.value)).group(2))
    assert advised == pytest.approx(4, rel=0.2)
    options = AnalysisOptions(model=str(model_path), outputs=frozenset(), progress=False, slowmo=float(advised))
    report = analyze(files.video, options=options).report
    assert report["cadence_spm"]["value"] == pytest.approx(spec.gait.cadence_spm * advised / 4, rel=0.03)
