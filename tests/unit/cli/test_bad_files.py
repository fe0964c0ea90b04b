"""Hostile or damaged files formcam reads back (issue 22, part B), and names and text that reach the terminal,
HTML and CSV: each is analysed or refused in one sentence with its exit code, and nothing is written when refused.

The generators of the same classes (JSON shapes, names) are in ``test_fuzz_files.py``.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from formcam.cli import app
from formcam.compare import compare_reports, comparison_html, write_comparison
from formcam.errors import UnreadableInputError
from formcam.pose.posefile import PoseExtras, load_pose, save_pose, video_fingerprint
from formcam.synthetic.gait import make_gait
from tests.conftest import REPO
from tests.helpers.media import make_cfr_clip

runner = CliRunner()


def refused(result, code: int = 3) -> str:
    """Exactly one stderr line starting ``formcam:``, the exit code, no traceback; the message."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("formcam: ") and lines[0].endswith("."), result.stderr
    assert "Traceback" not in result.output
    return lines[0].removeprefix("formcam: ")


@pytest.fixture(scope="module")
def pose_path(tmp_path_factory) -> Path:
    return save_pose(make_gait(view="rear", duration_s=6, seed=3), tmp_path_factory.mktemp("pose") / "run.npz")


@pytest.fixture(scope="module")
def real_report(tmp_path_factory, pose_path) -> dict:
    """A report.json formcam wrote (valid against its schema)."""
    out = tmp_path_factory.mktemp("analysis") / "out"
    result = runner.invoke(app, ["analyze", "--pose", str(pose_path), "--out", str(out), "-q", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads((out / "report.json").read_text())


def with_extras(source: Path, target: Path, change) -> Path:
    """A copy of the pose file ``source`` whose extras_json is ``change(extras)`` (a dict, or raw JSON text)."""
    arrays = dict(np.load(source, allow_pickle=False))
    extras = json.loads(str(arrays.get("extras_json", "{}")))
    new = change(extras)
    arrays["extras_json"] = np.array(new if isinstance(new, str) else json.dumps(new))
    np.savez(target, **arrays)  # type: ignore[arg-type]
    return target


def with_arrays(source: Path, target: Path, **changes) -> Path:
    arrays = dict(np.load(source, allow_pickle=False))
    arrays.update(changes)
    np.savez(target, **arrays)  # type: ignore[arg-type]
    return target


# --------------------------------------------------------------------------- #
# Point 4: malformed reports (formcam compare)


def _set(report: dict, dotted: str, value) -> dict:
    report = copy.deepcopy(report)
    *parents, last = dotted.split(".")
    node = report
    for key in parents:
        node = node[key]
    node[last] = value
    return report


REPORT_DAMAGE = [
    ("only the version", lambda r: {"schema_version": 1}, "it has no"),
    ("metrics a list", lambda r: _set(r, "metrics", [1, 2]), "metrics is a list, not an object"),
    ("metrics a string", lambda r: _set(r, "metrics", "x"), "metrics is a string, not an object"),
    ("value a string", lambda r: _set(r, "metrics.shoulder_dip_deg.value", "5"), "shoulder_dip_deg.value is a string"),
    ("value a list", lambda r: _set(r, "metrics.shoulder_dip_deg.value", [5]), "shoulder_dip_deg.value is a list"),
    ("value true", lambda r: _set(r, "metrics.shoulder_dip_deg.value", True), "is true or false, not a number"),
    ("cadence a string", lambda r: _set(r, "cadence_spm", "170"), "cadence_spm is a string, not an object"),
    ("view a string", lambda r: _set(r, "view", "side"), "view is a string, not an object"),
    ("video a string", lambda r: _set(r, "video", "run.mp4"), "video is a string, not an object"),
    ("runner a string", lambda r: _set(r, "runner", "anna"), "runner is a string, not an object"),
]


@pytest.mark.parametrize("name, damage, words", REPORT_DAMAGE, ids=[case[0] for case in REPORT_DAMAGE])
def test_a_malformed_report_is_refused_before_anything_is_written(tmp_path, real_report, name, damage, words):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "report.json").write_text(json.dumps(real_report))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "report.json").write_text(json.dumps(damage(real_report)))
    out = tmp_path / "cmp"
    message = refused(runner.invoke(app, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]))
    assert message.startswith("report.json is not a valid formcam report: ") and words in message, message
    assert not out.exists()


@pytest.mark.parametrize(
    "text, words",
    [
        ("NaN", "NaN is not a number JSON allows"),
        ("Infinity", "Infinity is not a number JSON allows"),
        ("-Infinity", "-Infinity is not a number JSON allows"),
        ("1e999", "the number 1e999 is too large"),
    ],
)
def test_a_report_with_a_number_json_does_not_allow_is_refused(tmp_path, real_report, text, words):
    raw = json.dumps(_set(real_report, "metrics.shoulder_dip_deg.value", 12345.5)).replace("12345.5", text)
    (tmp_path / "report.json").write_text(raw)
    out = tmp_path / "cmp"
    message = refused(runner.invoke(app, ["compare", str(tmp_path), str(tmp_path), "--out", str(out)]))
    assert "cannot be read as a formcam report" in message and words in message
    assert not out.exists()


def test_a_report_nested_100000_deep_is_refused(tmp_path):
    (tmp_path / "report.json").write_text('{"schema_version": 1, "metrics": ' + "[" * 100_000 + "]" * 100_000 + "}")
    message = refused(runner.invoke(app, ["compare", str(tmp_path), str(tmp_path), "--out", str(tmp_path / "c")]))
    assert "nested too deeply" in message


# --------------------------------------------------------------------------- #
# Point 4: malformed pose files (formcam analyze --pose)

EXTRAS_DAMAGE = [
    ("video a string", lambda e: {**e, "video": "run.mp4"}, "video is a string, not an object"),
    ("video a list", lambda e: {**e, "video": [1]}, "video is a list, not an object"),
    ("video path only", lambda e: {**e, "video": {"path": None}}, "video has no 'width'"),
    ("tracking a string", lambda e: {**e, "tracking": "x"}, "tracking is a string, not an object"),
    ("capture a string", lambda e: {**e, "capture_quality": "x"}, "capture_quality is a string, not an object"),
    ("capture without samples", lambda e: {**e, "capture_quality": {}}, "capture_quality has no 'n_samples'"),
    ("extras a list", lambda e: [e], "it is a list, not an object"),
    ("extras not JSON", lambda e: "{no", "its extras_json is not JSON"),
    ("extras nested deeply", lambda e: "[" * 100_000 + "]" * 100_000, "nested too deeply"),
]


@pytest.mark.parametrize("name, damage, words", EXTRAS_DAMAGE, ids=[case[0] for case in EXTRAS_DAMAGE])
def test_a_pose_file_with_malformed_extras_is_refused_before_anything_is_written(
    tmp_path, pose_path, name, damage, words
):
    bad = with_extras(pose_path, tmp_path / "bad.npz", damage)
    out = tmp_path / "out"
    message = refused(runner.invoke(app, ["analyze", "--pose", str(bad), "--out", str(out), "-q"]))
    assert message.startswith("bad.npz is damaged: ") and words in message, message
    assert not out.exists()


def test_absurd_frame_times_are_refused_before_any_work(tmp_path, pose_path):
    t_ms = np.load(pose_path)["t_ms"]
    cases = {
        "step": np.arange(len(t_ms)) * 1e12,  # tried to allocate 669 GiB
        "jump": np.concatenate([t_ms[:100], t_ms[100:] + 1e12]),
        "years": np.linspace(0, 3 * 365 * 86_400e3, len(t_ms)),  # failed the schema after report.html was written
    }
    for name, times in cases.items():
        bad = with_arrays(pose_path, tmp_path / f"{name}.npz", t_ms=times)
        out = tmp_path / f"out-{name}"
        message = refused(runner.invoke(app, ["analyze", "--pose", str(bad), "--out", str(out), "-q"]))
        assert message.startswith(f"{name}.npz is damaged: its frame times") and "running video" in message, message
        assert not out.exists()


def test_a_complex_pose_file_is_refused_without_a_numpy_warning(tmp_path, pose_path):
    bad = with_arrays(pose_path, tmp_path / "complex.npz", image_xy=np.load(pose_path)["image_xy"].astype(np.complex64))
    proc = subprocess.run(
        [sys.executable, "-m", "formcam", "analyze", "--pose", str(bad), "--out", str(tmp_path / "o"), "-q"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.strip() == (
        "formcam: complex.npz is damaged: its image_xy holds complex numbers (complex64), not real numbers."
    )


def test_a_pose_file_formcam_wrote_passes_the_extras_schema(tmp_path):
    pose = make_gait(view="side", duration_s=2, seed=1)
    pose.extras.tracking = {
        "n_tracks": 2,
        "chosen_track": 1,
        "scores": [1.0, 2.0],
        "people_per_frame_max": 2,
        "chosen_by": "auto",
        "person": None,
        "candidates": [
            {
                "index": 1,
                "frames": 100,
                "first_frame": 0,
                "first_t_s": 0.0,
                "first_box": [1, 2, 3, 4],
                "first_centre": [0.5, 0.5],
                "score": 2.0,
                "candidate": True,
                "chosen": True,
            }
        ],
        "preview": [{"frame": 0, "t_ms": 0.0, "t_s": 0.0, "boxes": [{"index": 1, "box": [1, 2, 3, 4]}]}],
    }
    pose.extras.capture_quality = {
        "n_samples": 32,
        "brightness": 180.0,
        "subject_brightness": None,
        "blur": 0.2,
        "camera_speed": 0.0,
        "moving_fraction": 0.0,
        "bars": {"top": 0, "bottom": 0, "left": 0, "right": 0},
        "warnings": [{"code": "letterbox", "message": "Bars."}],
    }
    assert load_pose(save_pose(pose, tmp_path / "pose.npz")).extras == pose.extras


# --------------------------------------------------------------------------- #
# Point 9: file names that are not UTF-8


def test_a_video_path_that_is_not_utf8_still_gives_report_html(tmp_path, pose_path):
    latin1 = os.fsdecode(b"caf\xe9 run.mp4")
    pose = load_pose(pose_path)
    pose.extras.video = {
        "path": str(tmp_path / latin1),
        "width": pose.frame_size[0],
        "height": pose.frame_size[1],
        "fps": 60.0,
        "frames": pose.n_frames,
        "duration_s": 6.0,
        "rotation_deg": 0,
        "slow_motion_factor": 1.0,
        "slow_motion_source": None,
        "corrections": [],
        "decode_error": None,
    }
    source = save_pose(pose, tmp_path / os.fsdecode(b"pose \xe9.npz"))
    out = tmp_path / os.fsdecode(b"out \xe9")
    result = runner.invoke(app, ["analyze", "--pose", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "caf\ufffd run.mp4" in html
    assert json.loads((out / "report.json").read_text())["video"]["path"].endswith(latin1)


# --------------------------------------------------------------------------- #
# Point 11: Rich markup in names


@pytest.mark.parametrize("name", ["club[/x].npz", "[bold]run.npz", "[club] x.npz"])
def test_markup_in_a_name_is_shown_as_it_is(tmp_path, pose_path, name):
    (tmp_path / name).parent.mkdir(exist_ok=True)
    missing = refused(runner.invoke(app, ["analyze", str(tmp_path / name), "--out", str(tmp_path / "o")]))
    assert missing == f"There is no file at {tmp_path / name}."
    copy_ = with_arrays(pose_path, tmp_path / name)
    out = tmp_path / f"out {name.replace('/', ' ')}"
    result = runner.invoke(app, ["analyze", "--pose", str(copy_), "--out", str(out)], env={"COLUMNS": "500"})
    assert result.exit_code == 0, result.output
    assert str(out) in result.output and "report.json" in result.output  # the folder whole, then its files


# --------------------------------------------------------------------------- #
# Points 12 and 13: what reaches compare.html, and which numbers are compared


def test_every_report_field_reaching_compare_html_is_escaped(real_report):
    evil = "<form action=https://x.invalid><meta http-equiv=refresh content=0;url=https://x.invalid>"
    before = _set(real_report, "metrics.shoulder_dip_deg.unit", evil)
    before = _set(before, "metrics.shoulder_dip_deg.value", 3.0)
    before = _set(before, "metrics.shoulder_dip_deg.flag", "ok")
    before = _set(before, "video.path", f"/v/{evil}.mp4")
    text = comparison_html(compare_reports(before, before))
    assert "<form" not in text and "<meta http-equiv=refresh" not in text
    assert "&lt;form" in text


def test_only_finite_plausible_real_numbers_are_compared(real_report):
    before = _set(real_report, "metrics.shoulder_dip_deg.value", 2.0)
    before = _set(before, "metrics.shoulder_dip_deg.n", 40)
    huge = _set(before, "metrics.shoulder_dip_deg.value", 1.7e308)
    change = next(c for c in compare_reports(before, huge).changes if c.name == "shoulder_dip_deg")
    assert change.beyond_error is None and "outside the plausible range" in (change.note or "")
    truthy = _set(before, "metrics.shoulder_dip_deg.value", True)
    change = next(c for c in compare_reports(before, truthy).changes if c.name == "shoulder_dip_deg")
    assert change.after is None and change.change is None
    nan = _set(before, "metrics.shoulder_dip_deg.value", float("nan"))
    change = next(c for c in compare_reports(before, nan).changes if c.name == "shoulder_dip_deg")
    assert change.after is None and change.change is None
    json.dumps(compare_reports(before, nan).to_json(), allow_nan=False)


def test_a_compare_folder_is_made_only_for_valid_reports(tmp_path, real_report):
    files = write_comparison(compare_reports(real_report, real_report), tmp_path / "c")
    assert [f.name for f in files] == ["compare.json", "compare.html"]


# --------------------------------------------------------------------------- #
# Point 15: the pose file's video must be the video it was made from


def test_a_pose_file_draws_only_on_its_own_video(tmp_path, pose_path):
    video = tmp_path / "run.mp4"
    video.write_bytes(b"the original video" * 1000)
    pose = load_pose(pose_path)
    pose.extras.video = {
        "path": str(video),
        "width": pose.frame_size[0],
        "height": pose.frame_size[1],
        "fps": 60.0,
        "frames": pose.n_frames,
        "duration_s": 6.0,
        "rotation_deg": 0,
        "slow_motion_factor": 1.0,
    }
    pose.extras.video_fingerprint = video_fingerprint(video)
    made = save_pose(pose, tmp_path / "pose.npz")
    video.write_bytes(b"another video at that path" * 1000)
    from formcam import pipeline

    analysis = pipeline.analyze(made, tmp_path / "out", pipeline.AnalysisOptions(progress=False))
    assert not (tmp_path / "out" / "annotated.mp4").exists()
    assert analysis.video_note is not None and "not the video" in analysis.video_note
    legacy = PoseExtras.from_json({k: v for k, v in pose.extras.to_json().items() if k != "video_fingerprint"})
    pose.extras = legacy
    analysis = pipeline.analyze(
        save_pose(pose, tmp_path / "old.npz"), tmp_path / "out2", pipeline.AnalysisOptions(progress=False)
    )
    assert not (tmp_path / "out2" / "annotated.mp4").exists()
    assert analysis.video_note is not None and "does not record" in analysis.video_note


def test_a_fingerprint_tells_videos_apart(tmp_path):
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    a.write_bytes(bytes(3 << 20))
    b.write_bytes(bytes(3 << 20))
    assert video_fingerprint(a) == video_fingerprint(b)
    b.write_bytes(bytes(3 << 20)[:-1] + b"\x01")
    assert video_fingerprint(a) != video_fingerprint(b)


# --------------------------------------------------------------------------- #
# Point 17: stderr is one sentence


def test_an_argument_starting_with_a_dash_is_one_sentence(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "formcam", "analyze", "-weird.mp4"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"},
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("formcam: ") and "╭" not in proc.stderr, proc.stderr
    assert "-weird.mp4" in lines[0] and "./-weird.mp4" in lines[0]


@pytest.mark.e2e
def test_an_unwritable_home_gives_no_matplotlib_warning(tmp_path, model_path):
    """MediaPipe imports matplotlib, which warned in two lines when it could not write its cache."""
    home = tmp_path / "home"
    home.write_text("a file, so nothing can be made under it (root ignores a read-only folder's mode)")
    env = {k: v for k, v in os.environ.items() if k not in ("MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")}
    env.update(HOME=str(home / "user"), PYTHONPATH=str(REPO), FORMCAM_MODEL_DIR=str(model_path.parent))
    clip = make_cfr_clip(tmp_path / "nobody.mp4", 16, width=96, height=64)
    proc = subprocess.run(
        [sys.executable, "-m", "formcam", "analyze", str(clip), "--out", str(tmp_path / "o"), "-q", "--no-video"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 4, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "matplotlib" not in proc.stderr.lower(), proc.stderr


def test_matplotlib_gets_a_temporary_folder_only_when_home_is_not_writable(tmp_path, monkeypatch):
    from formcam.cli.terminal import quiet_matplotlib

    for name in ("MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    quiet_matplotlib()
    assert "MPLCONFIGDIR" not in os.environ and (tmp_path / "home" / ".config" / "matplotlib").is_dir()
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("HOME", str(tmp_path / "file" / "home"))
    quiet_matplotlib()
    assert Path(os.environ["MPLCONFIGDIR"]).is_dir()


def test_a_pose_file_with_an_unreadable_source_fingerprint_is_refused(tmp_path, pose_path):
    bad = with_extras(pose_path, tmp_path / "fp.npz", lambda e: {**e, "video_fingerprint": {"bytes": "x"}})
    with pytest.raises(UnreadableInputError, match="video_fingerprint"):
        load_pose(bad)


# --------------------------------------------------------------------------- #
# Points 9 and 14: batch summaries with hostile and non-UTF-8 clip names


def test_clip_names_that_look_like_formulas_are_text_in_every_csv(tmp_path, pose_path):
    from formcam.batch import run_batch
    from formcam.batch.summary import read_summary_csv
    from formcam.pipeline import AnalysisOptions

    clips = tmp_path / "clips"
    clips.mkdir()
    names = ["=2+5", "+1", "-x", "@SUM(A1)", "=HYPERLINK(x)", os.fsdecode(b"caf\xe9")]
    paths = [with_arrays(pose_path, clips / f"{name}.npz") for name in names]
    options = AnalysisOptions(outputs=frozenset({"report.json", "report.html"}), progress=False)
    summary = run_batch(paths, tmp_path / "batch", options, engine="serial")
    assert summary.exit_code == 0
    text = (tmp_path / "batch" / "summary.csv").read_text(encoding="utf-8")
    for line in text.splitlines()[1:]:
        assert not line.startswith(("=", "+", "-", "@")), line
    assert "'=2+5" in text and "'=HYPERLINK(x)" in text and "caf\ufffd" in text
    clip_names = {row["clip"] for row in read_summary_csv(tmp_path / "batch" / "summary.csv")}
    assert {"=2+5", "-x", "@SUM(A1)"} <= clip_names
    page = (tmp_path / "batch" / "summary.html").read_text(encoding="utf-8")
    assert "caf\ufffd" in page and "caf%E9" in page


def test_runner_names_that_look_like_formulas_are_text_in_changes_csv():
    from formcam.batch.summary_compare import Comparison, MeasureChange, changes_csv

    change = MeasureChange("=cmd|' /C calc'!A0", "cadence_spm", 170.0, 160.0, 3.0, 1, 1)
    text = changes_csv(Comparison(changes=[change]))
    assert "\n'=cmd" in text and ",-10.0," in text  # a negative number stays a number


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_compare_names_a_fifo_for_what_it_is(tmp_path):
    """Before: 'There is no file or folder at ...' for a FIFO that is there (issue 22, point 3)."""
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    result = CliRunner().invoke(app, ["compare", str(fifo), str(fifo), "--out", str(tmp_path / "cmp")])
    assert result.exit_code == 3, result.output
    assert "it is a FIFO (named pipe), not a regular file" in result.output
    assert not (tmp_path / "cmp").exists()
