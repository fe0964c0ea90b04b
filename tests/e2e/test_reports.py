"""The reports of a real clip through the real model: annotated video, report.html in Chromium, CSVs, compare.

One analysis of the side-view treadmill clip (with ``--replay``) and one
JSON-only analysis of a second clip serve every test in this module.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from formcam.pipeline import AnalysisOptions, analyze
from formcam.pose.posefile import load_pose
from formcam.report.drawing import PANEL_COLOUR
from formcam.report.evidence import collect_evidence
from formcam.video.decode import iter_frames
from tests.helpers.browser import EXTERNAL, csp_violations, need_chromium, render

pytestmark = pytest.mark.e2e

SIDE = "treadmill_side_portrait_60fps.mp4"
OTHER = "treadmill_sprint_side_two_people.mp4"


def formcam(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "formcam", *map(str, args)], capture_output=True, text=True, env=env, timeout=900
    )


@pytest.fixture(scope="module")
def side(shared_video, model_path, tmp_path_factory):
    video = shared_video(SIDE)
    out = tmp_path_factory.mktemp("side") / "out"
    proc = formcam("analyze", video, "--out", out, "--replay")
    assert proc.returncode == 0, proc.stderr
    return proc, out, video


@pytest.fixture(scope="module")
def other(shared_video, model_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("other") / "out"
    # --force: the sprint is a slow-motion clip with normal-speed ends, refused for its changing speed.
    proc = formcam("analyze", shared_video(OTHER), "--out", out, "--quiet", "--format", "json", "--force")
    assert proc.returncode == 0, proc.stderr
    return out


def frames_of(path, wanted, max_side=None) -> tuple[dict, int]:
    """The wanted frames by index, and how many frames the file has (one decoding pass)."""
    found, count = {}, 0
    with iter_frames(path, max_side=max_side) as frames:
        for frame in frames:
            count += 1
            if frame.index in wanted:
                found[frame.index] = frame.rgb.astype(int)
    return found, count


def test_terminal_lists_every_file_written(side):
    proc, out, _ = side
    assert "Running form" in proc.stdout and f"Wrote to\n{out}\n" in proc.stdout
    listed = proc.stdout.split(f"Wrote to\n{out}\n")[1]
    for name in ("annotated.mp4", "report.html", "report.json", "pose.npz", "frames.csv", "steps.csv"):
        assert (out / name).is_file() and f"\n{name} " in f"\n{listed}", name


def test_annotated_video_draws_the_runner_and_the_panel_and_ends_with_a_replay(side):
    _, out, video = side
    report = json.loads((out / "report.json").read_text())
    pose = load_pose(out / "pose.npz")
    wanted = {60, 200, 330}
    # The annotated video is 720p (longest side 1280 px): compare with the input scaled the same way.
    (source, _), (annotated, total) = frames_of(video, wanted, max_side=1280), frames_of(out / "annotated.mp4", wanted)
    scale = annotated[60].shape[1] / report["video"]["width"]
    for i in sorted(wanted):
        diff = np.abs(annotated[i] - source[i]).max(axis=2)
        near = [
            diff[int(y) - 3 : int(y) + 4, int(x) - 3 : int(x) + 4].max()
            for x, y in pose.image_xy[i, [25, 26, 27, 28]] * scale
        ]
        assert np.median(near) > 50, (i, near)  # the bones through knees and ankles
        blended = 0.32 * source[i] + 0.68 * np.array(PANEL_COLOUR)
        panel = np.abs(annotated[i] - blended).max(axis=2) < 16
        h = panel.shape[0]
        assert max(panel[: h // 2].mean(), panel[h // 2 :].mean()) > 0.05, i  # the values panel
        assert np.median(diff) < 10  # elsewhere only the codec's noise
    assert total > report["video"]["frames"] + 10  # the slow-motion replay of the worst step


def test_report_html_renders_in_chromium_with_every_plot_evidence_and_no_request(side):
    need_chromium()
    _, out, _ = side
    report = json.loads((out / "report.json").read_text())
    page = (out / "report.html").read_text(encoding="utf-8")
    assert not EXTERNAL.search(page)
    shown = render(out / "report.html", width=1000, height=3000)
    assert not csp_violations(shown.console), csp_violations(shown.console)
    in_page = re.findall(r'<svg class="plot" data-metric="([^"]+)"', page)
    in_dom = re.findall(r'<svg class="plot" data-metric="([^"]+)"', shown.dom)
    measured = [n for n, m in report["metrics"].items() if m["value"] is not None]
    assert in_dom == in_page and set(measured) <= set(in_dom)
    flagged = [n for n, m in report["metrics"].items() if m["flag"] in ("watch", "high")]
    assert flagged and shown.dom.count('src="data:image/jpeg;base64,') >= 2 * len(flagged) - 1
    image = shown.screenshot
    assert image.shape == (3000, 1000, 3) and image.std() > 20
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 1000  # photos and plots, not a blank page


def test_evidence_handed_over_by_the_video_pass_is_what_reading_the_video_gives(side):
    # The annotated video's pass hands the evidence frames over at full size; read by seeking instead,
    # every JPEG in the page must come out the same, byte for byte.
    _, out, video = side
    in_page = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', (out / "report.html").read_text(encoding="utf-8"))
    analysis = analyze(out / "pose.npz", options=AnalysisOptions(outputs=frozenset(), progress=False))
    frames, note = collect_evidence(analysis.report, analysis.kinematics, analysis.pose.t_ms, video)
    read = [base64.b64encode(f.jpeg).decode() for f in frames if f.jpeg]
    assert note is None and len(read) == len(frames) >= 2
    assert set(read) == set(in_page)


def test_csv_columns_carry_units(side):
    _, out, _ = side
    frames = (out / "frames.csv").read_text().splitlines()
    assert frames[0].startswith("frame,t_ms [ms],detected,") and "head_forward_pct [% trunk]" in frames[0]
    assert len(frames) == json.loads((out / "report.json").read_text())["video"]["frames"] + 1
    steps = (out / "steps.csv").read_text().splitlines()
    assert steps[0].startswith("step,side,contact_frame,contact_t_ms [ms],toe_off_frame,toe_off_t_ms [ms]")
    assert "overstride_pct [% leg]" in steps[0] and len(steps) > 10


def test_compare_two_analyses_of_different_clips(side, other, tmp_path):
    _, out, _ = side
    proc = formcam("compare", out, other, "--out", tmp_path / "cmp")
    assert proc.returncode == 0, proc.stderr
    assert "Cadence" in proc.stdout and "compare.html" in proc.stdout
    data = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    before = json.loads((out / "report.json").read_text())
    after = json.loads((other / "report.json").read_text())
    cadence = data["metrics"]["cadence_spm"]
    assert cadence["before"] == before["cadence_spm"]["value"] and cadence["after"] == after["cadence_spm"]["value"]
    assert cadence["change"] == pytest.approx(cadence["after"] - cadence["before"])
    both = [n for n, m in data["metrics"].items() if m["change"] is not None]
    assert len(both) >= 3
    # The other clip was analysed only with --force: none of its changes may be called real (issue 20).
    assert after["runner"]["forced"] is True
    for name in both:
        m = data["metrics"][name]
        assert m["beyond_error"] is None and "after: analysed only with --force" in m["note"]
        assert m["combined_error"] is not None  # the error is still stated, with the change
    again = formcam("compare", out, out, "--out", tmp_path / "same")
    assert again.returncode == 0, again.stderr
    same = json.loads((tmp_path / "same" / "compare.json").read_text())["metrics"]
    for m in same.values():
        if m["change"] is not None:
            assert m["beyond_error"] is False and m["beyond_error"] == (abs(m["change"]) > m["combined_error"])
    assert not EXTERNAL.search((tmp_path / "cmp" / "compare.html").read_text())
