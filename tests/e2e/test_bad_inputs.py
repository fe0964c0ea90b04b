"""Bad input and honest refusals (issue 7), from the outside: the command line on real and made-up inputs.

Every bad input gets one sentence on stderr, its documented exit code
(docs/exit-codes.md) and no traceback; docs/bad-inputs.md lists what formcam
says to each. The real clips go through the real model (``e2e``), each once,
with ``--no-video`` unless the video is what is tested. Long clips are trimmed
into a temporary folder where the behaviour does not depend on their length
(each trim says why). Inputs that stop before the pose model need no model.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from formcam import pipeline
from formcam.atomic import write_atomic
from formcam.cli import app
from formcam.errors import NothingToAnalyseError, UnreadableInputError
from formcam.gait.view import ViewEstimate
from formcam.pose.posefile import FORMAT, load_pose, save_pose
from formcam.quality.refusal import (
    check_analysable,
    feet_in_picture,
    forced_notes,
    presence,
    presence_notes,
    refusal,
    require_person,
)
from formcam.report.json_report import read_report, validate_report
from formcam.synthetic.gait import make_gait
from tests.conftest import REPO
from tests.helpers.media import ffprobe_json, make_cfr_clip, need_ffmpeg, run_ffmpeg, truncate

runner = CliRunner()


# --------------------------------------------------------------------------- #
# How a failure must look


def formcam(
    *args, model_path: Path | None = None, file_permissions_apply: bool = False, timeout: int = 600
) -> subprocess.CompletedProcess:
    """Run the real command line in a new process (so stderr is what a terminal would show).

    ``file_permissions_apply``: root reads and writes any file whatever its
    mode, so a root run drops the two capabilities that allow it
    (``setpriv``); a user's run needs nothing.
    """
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(REPO)}
    if model_path is not None:
        env["FORMCAM_MODEL_DIR"] = str(model_path.parent)
    prefix = []
    if file_permissions_apply and os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv (util-linux): cannot make file permissions apply")
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "formcam", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def refused(proc, code: int) -> str:
    """Assert the documented exit code, exactly one stderr line, no traceback; return the message."""
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("formcam: ") and lines[0].endswith("."), lines[0]
    return lines[0].removeprefix("formcam: ")


def nothing_written(out: Path) -> bool:
    return not out.exists() or not any(out.iterdir())


def invoke(*args):
    """The command line in this process (for failures that never reach the pose model)."""
    return runner.invoke(app, [str(a) for a in args])


def refused_in_process(result, code: int) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("formcam: ") and "Traceback" not in result.output, result.output
    return lines[0].removeprefix("formcam: ")


# --------------------------------------------------------------------------- #
# Files that are not there, not readable, or not video (no model needed)


def test_missing_path_and_a_folder_exit_3(tmp_path):
    message = refused(formcam("analyze", tmp_path / "nope.mp4", "--out", tmp_path / "o"), 3)
    assert "no file" in message and "nope.mp4" in message
    message = refused(formcam("analyze", tmp_path, "--out", tmp_path / "o"), 3)
    assert "folder" in message
    assert nothing_written(tmp_path / "o")


def test_debug_shows_the_traceback(tmp_path):
    proc = formcam("analyze", tmp_path / "nope.mp4", "--debug")
    assert proc.returncode == 3 and "Traceback" in proc.stderr and "UnreadableInputError" in proc.stderr


def non_video_files(folder: Path) -> dict[str, Path]:
    need_ffmpeg()
    files = {
        "text": folder / "notes.mp4",
        "empty": folder / "empty.mp4",
        "png": folder / "photo.png",
        "m4a": folder / "song.m4a",
        "wav": folder / "voice.wav",
    }
    files["text"].write_text("This is my running diary, not a video.\n" * 40)
    files["empty"].write_bytes(b"")
    cv2.imwrite(str(files["png"]), np.full((120, 160, 3), 90, np.uint8))
    run_ffmpeg("-f", "lavfi", "-i", "sine=duration=1", str(files["m4a"]))
    run_ffmpeg("-f", "lavfi", "-i", "sine=duration=1", str(files["wav"]))
    return files


@pytest.mark.parametrize(
    "kind, words",
    [
        ("text", "not a video file"),
        ("empty", "not a video file"),
        ("png", "still image"),
        ("m4a", "no video stream"),
        ("wav", "no video stream"),
    ],
)
def test_non_video_files_exit_3(tmp_path, model_path, kind, words):
    path = non_video_files(tmp_path)[kind]
    message = refused(formcam("analyze", path, "--out", tmp_path / "o", model_path=model_path), 3)
    assert words in message and path.name in message
    assert nothing_written(tmp_path / "o")


def test_corrupt_video_exits_3_and_says_why(shared_video, model_path, tmp_path):
    message = refused(
        formcam(
            "analyze", shared_video("bad/corrupt_truncated_no_moov.mp4"), "--out", tmp_path / "o", model_path=model_path
        ),
        3,
    )
    # CATALOG: "moov atom not found"; the file is in fact a web page saved under a video's name.
    assert message == (
        "Cannot read corrupt_truncated_no_moov.mp4: it is not a video file formcam can decode "
        "(it is an HTML web page, not a video: the download probably failed)."
    )
    assert nothing_written(tmp_path / "o")


def test_recording_cut_before_its_index_was_written_exits_3(tmp_path, model_path):
    whole = make_cfr_clip(tmp_path / "whole.mp4", 30)  # the index (moov) at the end, as cameras write it
    cut = truncate(whole, tmp_path / "cut.mp4", 0.7)
    message = refused(formcam("analyze", cut, "--out", tmp_path / "o", model_path=model_path), 3)
    assert message == (
        "Cannot read cut.mp4: it is not a video file formcam can decode "
        "(moov atom not found: the recording or the download was cut short)."
    )


def test_no_read_permission_exits_3(tmp_path, model_path):
    locked = make_cfr_clip(tmp_path / "locked.mp4", 10)
    locked.chmod(0)
    proc = formcam("analyze", locked, "--out", tmp_path / "o", model_path=model_path, file_permissions_apply=True)
    assert refused(proc, 3) == "Cannot read locked.mp4: permission denied."
    assert nothing_written(tmp_path / "o")


def test_output_folder_that_cannot_be_written_exits_5(tmp_path):
    pose_path = save_pose(make_gait(view="rear", duration_s=6, seed=4), tmp_path / "pose.npz")
    read_only = tmp_path / "read-only"
    read_only.mkdir(mode=0o555)
    proc = formcam("analyze", "--pose", pose_path, "--out", read_only / "out", file_permissions_apply=True)
    message = refused(proc, 5)
    assert message.startswith("Cannot write the outputs into") and "permission denied" in message


# --------------------------------------------------------------------------- #
# Pose files and reports from another formcam


def save_raw_pose(path: Path, **changes) -> Path:
    pose = make_gait(view="side", duration_s=2, seed=1)
    arrays = {
        "format": FORMAT,
        "t_ms": pose.t_ms,
        "image_xy": pose.image_xy,
        "visibility": pose.visibility,
        "world_xyz": pose.world_xyz,
        "frame_size": np.array(pose.frame_size, np.int32),
    }
    arrays.update(changes)
    # numpy's stub checks **kwds against savez's allow_pickle: bool too
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})  # type: ignore[arg-type]
    return path


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"format": "formcam-pose/2"}, "written by a newer formcam (pose format 'formcam-pose/2'"),
        ({"format": "openpose-json/1"}, "format 'openpose-json/1', which this formcam does not support"),
        ({"format": None}, "not a formcam pose file"),
        ({"t_ms": np.zeros(120)}, "frame times (t_ms) are not finite and strictly increasing"),
        ({"image_xy": np.zeros((3, 33, 2))}, "image_xy has shape (3, 33, 2)"),
        ({"frame_size": np.array([0, 720])}, "frame_size"),
    ],
)
def test_pose_file_of_another_version_or_damaged_is_refused(tmp_path, changes, words):
    path = save_raw_pose(tmp_path / "pose.npz", **changes)
    with pytest.raises(UnreadableInputError, match="pose") as caught:
        load_pose(path)
    assert words in str(caught.value) and "\n" not in str(caught.value)
    message = refused_in_process(invoke("analyze", "--pose", path, "--out", tmp_path / "o"), 3)
    assert words in message
    assert nothing_written(tmp_path / "o")


@pytest.mark.parametrize(
    "content, words",
    [
        ({"schema_version": 2}, "written by a newer formcam (report schema version 2"),
        ({"schema_version": "1.0"}, "schema version '1.0'"),
        ({"video": {}}, "not a formcam report (it has no schema_version)"),
        ([1, 2, 3], "not a formcam report"),
        ("{not json", "cannot be read as a formcam report"),
    ],
)
def test_report_of_another_version_is_refused(tmp_path, content, words):
    path = tmp_path / "report.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(UnreadableInputError) as caught:
        read_report(path)
    assert words in str(caught.value) and "\n" not in str(caught.value)


# --------------------------------------------------------------------------- #
# Not running, too short, --force (synthetic pose files: the decision without the model)


@pytest.fixture(scope="module")
def gaits(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gaits")
    made = {
        "running": make_gait(view="side", duration_s=6, seed=3),
        "walking": make_gait(view="side", duration_s=6, flight=False, cadence_spm=110, seed=3),
        "in_place": make_gait(view="side", duration_s=6, running_in_place=True, seed=3),
        "half_second": make_gait(view="side", duration_s=0.5, seed=3),
    }
    return {name: save_pose(pose, folder / f"{name}.npz") for name, pose in made.items()}


@pytest.mark.parametrize(
    "kind, words",
    [
        ("walking", "this looks like walking"),
        ("in_place", "this looks like running on the spot"),
        ("half_second", "too short to measure a running step"),
    ],
)
def test_not_running_or_too_short_exits_4_with_the_reason(gaits, tmp_path, kind, words):
    message = refused_in_process(invoke("analyze", "--pose", gaits[kind], "--out", tmp_path / "o"), 4)
    assert message.startswith(f"{kind}.npz was not analysed: ") and words in message
    assert message.endswith("Pass --force to analyse it anyway.")
    assert nothing_written(tmp_path / "o")


@pytest.mark.parametrize("kind", ["walking", "in_place", "half_second"])
def test_force_analyses_it_and_marks_the_report(gaits, tmp_path, kind):
    result = invoke("analyze", "--pose", gaits[kind], "--out", tmp_path / "o", "--force", "-q")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    validate_report(report)
    assert report["runner"]["forced"] is True and report["runner"]["is_running"] is False
    assert report["runner"]["refusal"]
    forced = [q for q in report["quality"] if q["code"] == "forced_analysis"]
    assert len(forced) == 1 and "--force" in forced[0]["message"]


def test_a_running_clip_is_not_marked_forced(gaits, tmp_path):
    assert invoke("analyze", "--pose", gaits["running"], "--out", tmp_path / "o", "--force", "-q").exit_code == 0
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["runner"]["forced"] is False and report["runner"]["is_running"] is True
    assert "forced_analysis" not in {q["code"] for q in report["quality"]}


def test_capture_warnings_kept_in_the_pose_file_null_the_metrics_they_invalidate(tmp_path):
    pose = make_gait(view="side", duration_s=6, overstride_pct=12, vertical_oscillation_pct=8, seed=5)
    pose.extras.capture_quality = {
        "n_samples": 30,
        "blur": 0.7,
        "warnings": [
            {"code": "motion_blur", "message": "The runner is heavily motion-blurred."},
            {"code": "camera_moving", "message": "The camera moved."},
        ],
    }
    save_pose(pose, tmp_path / "blurred.npz")
    assert invoke("analyze", "--pose", tmp_path / "blurred.npz", "--out", tmp_path / "o", "-q").exit_code == 0
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    validate_report(report)
    metrics = report["metrics"]
    assert metrics["overstride_pct"]["value"] is None and "motion-blurred" in metrics["overstride_pct"]["reason"]
    assert metrics["knee_flexion_contact_deg"]["value"] is None
    assert (
        metrics["vertical_oscillation_pct"]["value"] is None
        and "camera moved" in metrics["vertical_oscillation_pct"]["reason"]
    )
    assert metrics["head_forward_deg"]["value"] is not None  # the head and trunk lines stay usable
    assert {"motion_blur", "camera_moving"} <= {q["code"] for q in report["quality"]}
    assert report["video"]["capture"]["blur"] == 0.7


# --------------------------------------------------------------------------- #
# The refusal policy on its own (formcam.quality.refusal)


def fake_kinematics(n_contacts: int, reason: str | None, contact_frames=None):
    frames = np.asarray(contact_frames if contact_frames is not None else np.arange(n_contacts) * 20)
    events = SimpleNamespace(
        n_contacts=len(frames),
        contact_frames=frames,
        contact_sides=np.array(["left", "right"] * len(frames))[: len(frames)],
    )
    return SimpleNamespace(events=events, not_running_reason=reason, quality=[], xy_level=None, view=ViewEstimate())


def test_presence_span_and_partial():
    t_ms = np.arange(100) * 40.0  # 4 s at 25 fps
    detected = np.zeros(100, bool)
    detected[30:60] = True
    where = presence(detected, t_ms)
    assert (where.first_s, where.last_s, where.clip_s) == (1.2, 2.36, 3.96)
    assert where.partial and where.visible_s == pytest.approx(1.16)
    assert not presence(np.ones(100, bool), t_ms).partial
    assert presence(np.zeros(100, bool), t_ms).first_s is None
    runner, warnings = presence_notes(where)
    assert runner == {"visible_from_s": 1.2, "visible_to_s": 2.36}
    assert warnings[0].code == "partial_presence" and "from 1.2 s to 2.4 s of this 4.0 s clip" in warnings[0].message


def test_feet_in_picture():
    xy = np.full((3, 33, 2), 100.0)
    visibility = np.ones((3, 33))
    xy[1, 27:29, 1] = 800  # both ankles below a 720 px picture
    visibility[2, 27:29] = 0.1  # placed by the model but not seen
    np.testing.assert_array_equal(feet_in_picture(xy, visibility, (1280, 720)), [True, False, False])


def test_require_person_says_why_and_names_a_chosen_person():
    where = presence(np.r_[np.ones(5, bool), np.zeros(95, bool)], np.arange(100) * 40.0)
    with pytest.raises(
        NothingToAnalyseError,
        match=r"No runner was found in a.mp4 \(a person was seen in 5 of 100 "
        r"frames\); the video is very dark\.$",
    ):
        require_person(where, "a.mp4", ["the video is very dark"])
    with pytest.raises(NothingToAnalyseError, match="The person chosen with --person 3 is in only 5 of the 100 frames"):
        require_person(where, "a.mp4", person="3")
    require_person(presence(np.ones(100, bool), np.arange(100) * 40.0), "a.mp4")  # enough: no error


@pytest.mark.parametrize(
    "contacts, reason, visible, refused_with",
    [
        (0, None, 2.0, "too short to measure a running step"),
        (1, "only 0 regular steps", 10.0, "no running step was found in the 10 s"),
        (8, "this looks like walking", 10.0, "this looks like walking"),
        # Crossing the frame in a few steps: nothing rests on so few (issue 20: 61 steps/min from 2 steps).
        (3, "only 2 regular alternating steps were found", 1.5, "too few to tell running from anything else"),
        (8, None, 10.0, None),
        (0, None, 10.0, "the runner's feet are out of the picture in 80% of the frames"),
    ],
)
def test_refusal_policy(contacts, reason, visible, refused_with):
    t_ms = np.arange(int(visible * 50) + 1) * 20.0  # 50 fps, all frames with the runner
    feet = np.ones(len(t_ms), bool)
    if "feet" in (refused_with or ""):
        feet[: int(0.8 * len(t_ms))] = False  # filmed from the hips up most of the time
    where = presence(np.ones(len(t_ms), bool), t_ms, feet)
    kinematics = fake_kinematics(contacts, reason, contact_frames=np.linspace(0, len(t_ms) - 1, contacts).astype(int))
    why = refusal(kinematics, where, t_ms)
    assert (why is None) == (refused_with is None)
    if refused_with:
        assert refused_with in why and not why.endswith(".")
        with pytest.raises(
            NothingToAnalyseError, match=r"^run\.mp4 was not analysed: .* Pass --force to analyse it anyway\.$"
        ):
            check_analysable(kinematics, where, t_ms, "run.mp4", force=False)
        assert check_analysable(kinematics, where, t_ms, "run.mp4", force=True) == why
        notes, forced_warnings = forced_notes(why)
        assert notes == {"forced": True, "refusal": why} and forced_warnings[0].code == "forced_analysis"


# --------------------------------------------------------------------------- #
# --person mistakes are caught before the pose model runs


@pytest.mark.parametrize("value", ["tallest", "2,2"])
def test_bad_person_value_exits_2_at_once(tmp_path, value):
    clip = make_cfr_clip(tmp_path / "clip.mp4", 5)
    message = refused_in_process(invoke("analyze", clip, "--person", value, "--out", tmp_path / "o"), 2)
    assert "--person" in message


def test_person_with_a_pose_file_exits_2(gaits, tmp_path):
    message = refused_in_process(invoke("analyze", "--pose", gaits["running"], "--person", "1"), 2)
    assert "analyse the video again with --person" in message


# --------------------------------------------------------------------------- #
# Outputs: nothing half-written, the input never written to


def test_write_atomic_leaves_nothing_on_disk_full_or_interrupt(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("the earlier analysis")

    def fills_the_disk(tmp: Path) -> None:
        tmp.write_text("half a rep")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def interrupted(tmp: Path) -> None:
        tmp.write_text("half a rep")
        raise KeyboardInterrupt

    for write, error in ((fills_the_disk, OSError), (interrupted, KeyboardInterrupt)):
        with pytest.raises(error):
            write_atomic(target, write)
        assert target.read_text() == "the earlier analysis"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_disk_full_exits_5_and_leaves_only_complete_files(gaits, tmp_path):
    """A real full disk: a 32 KB tmpfs (skipped where mounting is not allowed; the unit test above still runs)."""
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", str(tiny)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        message = refused(formcam("analyze", "--pose", gaits["running"], "--out", tiny / "out"), 5)
        assert message.startswith(f"Cannot write the outputs into {tiny / 'out'}") and "no space left" in message
        # A whole analysis or nothing (issue 22): no folder, no private stage, no lock file.
        assert os.listdir(tiny) == []
    finally:
        subprocess.run(["umount", str(tiny)], check=True)


def test_interrupt_while_writing_leaves_no_half_written_file(gaits, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "write_report", interrupted)
    result = invoke("analyze", "--pose", gaits["running"], "--out", tmp_path / "o", "-q")
    assert result.exit_code == 130
    assert result.stderr.strip() == "formcam: Interrupted; no half-written output was left behind."
    assert os.listdir(tmp_path) == []  # none of the outputs already complete either


def test_pose_file_input_is_never_opened_for_writing(gaits, tmp_path):
    """Python's audit hook sees every file formcam opens in this process, and how."""
    source = tmp_path / "in.npz"
    shutil.copy(gaits["running"], source)
    before = source.read_bytes(), source.stat().st_mtime_ns
    opened: list[tuple[str, object]] = []
    watching = [True]

    def audit(event, args):
        if watching[0] and event == "open" and args and str(args[0]) == str(source):
            opened.append((args[1], args[2]))

    sys.addaudithook(audit)
    try:
        assert invoke("analyze", "--pose", source, "--out", tmp_path, "-q").exit_code == 0
    finally:
        watching[0] = False
    assert opened, "the audit hook saw no open of the input"
    for mode, flags in opened:
        assert mode in (None, "r", "rb") and not (flags or 0) & (os.O_WRONLY | os.O_RDWR | os.O_APPEND), (mode, flags)
    assert (source.read_bytes(), source.stat().st_mtime_ns) == before
    assert not (tmp_path / "pose.npz").exists()  # it is not rewritten as its own output


# --------------------------------------------------------------------------- #
# Real clips through the real model


def trim(
    src: Path, dst: Path, start_s: float, duration_s: float, *, copy: bool = False, scale: str | None = None
) -> Path:
    """Cut ``duration_s`` from ``start_s`` (stream copy keeps the codec; otherwise H.264 CRF 18, no audio)."""
    need_ffmpeg()
    args = ["-ss", str(start_s), "-i", str(src), "-t", str(duration_s), "-an"]
    if copy:
        args += ["-c", "copy"]
    else:
        args += (["-vf", f"scale={scale}"] if scale else []) + ["-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p"]
    run_ffmpeg(*args, str(dst))
    return dst


@pytest.fixture(scope="module")
def clips(shared_video, tmp_path_factory):
    """Inputs for the e2e tests, made on first use: name -> path."""
    folder = tmp_path_factory.mktemp("clips")
    makers = {
        # Walking and a gym exercise look the same in 6 s as in 13-18 s: trimmed to keep the model's time down.
        "walking": lambda p: trim(shared_video("bad/walking_side.mp4"), p, 1.5, 6),
        "exercise": lambda p: trim(shared_video("bad/exercise_lateral_raise_front.mp4"), p, 0, 6),
        # Who is who needs only both people in view: the first 4 s of the VP9 clip (stream copy keeps VP9).
        "vp9": lambda p: trim(shared_video("bad/two_people_walk_jump_vp9.mp4"), p, 0, 4, copy=True),
        # 5.5 s to 11.5 s of the race: the sprinters the camera follows, two at a time.
        "sprint": lambda p: trim(shared_video("bad/sprint_multi_runners_tracking.mp4"), p, 5.5, 6),
        # The treadmill sprint is a phone's slow-motion clip: normal speed to 3.7 s and from 9.9 s, four times
        # slower between.  1.5-9.5 s holds 9 fast steps and 6 slow ones; 1.1-3.5 s only fast steps, after the
        # runner has stepped on (counted by eye: a landing every 6-7 frames, 10 steps, 260-290 steps/min).
        "sprint_speed_ramp": lambda p: trim(shared_video("treadmill_sprint_side_two_people.mp4"), p, 1.5, 8),
        "sprint_real_time": lambda p: trim(shared_video("treadmill_sprint_side_two_people.mp4"), p, 1.1, 2.4),
    }

    def get(name: str) -> Path:
        path = folder / f"{name}.mp4"
        if not path.exists():
            makers[name](path)
        return path

    return get


@pytest.fixture(scope="module")
def analysed(model_path, tmp_path_factory):
    """Run ``formcam analyze VIDEO --no-video -q EXTRA...`` once per (video, extra); return (process, out)."""
    runs = {}

    def get(video: Path, *extra: str):
        key = (str(video), extra)
        if key not in runs:
            out = tmp_path_factory.mktemp("out") / "out"
            runs[key] = (
                formcam("analyze", video, "--out", out, "--no-video", "-q", *extra, model_path=model_path),
                out,
            )
        return runs[key]

    return get


def report_of(out: Path) -> dict:
    report = json.loads((out / "report.json").read_text())
    validate_report(report)
    return report


@pytest.mark.e2e
def test_walking_is_refused_and_force_marks_the_report(clips, analysed, model_path, tmp_path):
    proc, out = analysed(clips("walking"), "--force")
    assert proc.returncode == 0, proc.stderr
    report = report_of(out)
    assert report["runner"]["forced"] is True and report["runner"]["is_running"] is False
    assert "walking" in report["runner"]["refusal"]
    # Without --force the same pose is refused (the pose file holds what the model saw in the video).
    message = refused(formcam("analyze", "--pose", out / "pose.npz", "--out", tmp_path / "o", model_path=model_path), 4)
    assert message.startswith("pose.npz was not analysed: ") and "walking" in message
    assert nothing_written(tmp_path / "o")


@pytest.mark.e2e
@pytest.mark.parametrize("clip", ["exercise", "bad/treadmill_walking_cinematic_60fps.mp4"])
def test_gym_exercise_and_treadmill_walking_are_refused(clips, shared_video, analysed, clip):
    video = clips(clip) if "/" not in clip else shared_video(clip)
    proc, out = analysed(video)
    message = refused(proc, 4)
    assert message.startswith(f"{video.name} was not analysed: ") and "--force" in message
    assert nothing_written(out)


@pytest.mark.e2e
def test_near_black_mpeg4_clip_has_no_runner_and_says_it_is_dark(shared_video, analysed):
    proc, out = analysed(shared_video("bad/black_frames_dot_mpeg4.mp4"))
    message = refused(proc, 4)
    assert message.startswith("No runner was found in black_frames_dot_mpeg4.mp4") and "very dark" in message
    assert nothing_written(out)


@pytest.mark.e2e
def test_runner_crossing_the_frame_in_a_few_steps_is_refused_and_forced_is_analysed_where_they_are(
    shared_video, analysed
):
    proc, out = analysed(shared_video("outdoor_side_pass_through.mp4"))
    message = refused(proc, 4)
    assert "regular steps: too few to tell running from anything else" in message and "--force" in message
    assert nothing_written(out)
    proc, out = analysed(shared_video("outdoor_side_pass_through.mp4"), "--force")
    assert proc.returncode == 0, proc.stderr
    report = report_of(out)
    assert report["runner"]["forced"] is True and report["cadence_spm"]["value"] is None
    # CATALOG: the runner crosses the frame in about 1.5 s; most frames have nobody.
    assert 1.0 <= report["runner"]["visible_from_s"] < report["runner"]["visible_to_s"] <= 3.0
    partial = next(q for q in report["quality"] if q["code"] == "partial_presence")
    assert f"from {report['runner']['visible_from_s']:.1f} s" in partial["message"]


@pytest.mark.e2e
def test_several_people_one_is_followed_and_the_others_are_offered(clips, analysed, model_path, tmp_path):
    out = tmp_path / "out"
    # --people 2: look for two people in every frame, whatever the quick look before the pose pass decides.
    proc = formcam(
        "analyze", clips("vp9"), "--out", out, "--no-video", "--force", "--people", "2", model_path=model_path
    )
    assert proc.returncode == 0, proc.stderr
    assert f"Several people were in view: {out / 'people.jpg'} shows who is who" in proc.stdout
    report = report_of(out)
    assert report["video"]["codec"] == "vp9"
    people = report["runner"]["candidates"]
    assert len(people) >= 2 and report["runner"]["people_tracked"] == len(people)
    chosen = [p for p in people if p["chosen"]]
    assert len(chosen) == 1 and chosen[0]["index"] == report["runner"]["track"]
    assert report["runner"]["chosen_by"] == "auto"
    assert "several_people" in {q["code"] for q in report["quality"]}
    preview = cv2.imread(str(out / "people.jpg"))
    assert preview is not None and preview.shape[0] == 480

    # Choose the person at the other side by position in the first frame each appears.
    leftmost = min(people, key=lambda p: p["first_centre"][0])
    rightmost = max(people, key=lambda p: p["first_centre"][0])
    assert leftmost is not rightmost
    side, wanted = ("left", leftmost) if chosen[0] is not leftmost else ("right", rightmost)
    proc, out = analysed(clips("vp9"), "--force", "--people", "2", "--person", side)
    assert proc.returncode == 0, proc.stderr
    again = report_of(out)
    assert again["runner"]["track"] == wanted["index"] and again["runner"]["chosen_by"] == "position"


@pytest.mark.e2e
def test_race_with_several_sprinters_choose_one_by_position(clips, analysed):
    proc, out = analysed(clips("sprint"), "--force", "--people", "2", "--person", "left")
    assert proc.returncode == 0, proc.stderr
    report = report_of(out)
    people = report["runner"]["candidates"]
    assert len(people) >= 2 and report["runner"]["chosen_by"] == "position"
    leftmost = min(people, key=lambda p: p["first_centre"][0])
    assert report["runner"]["track"] == leftmost["index"] and leftmost["chosen"]
    assert (out / "people.jpg").is_file()


def assert_refused_as_slow_motion_with_too_few_steps(report: dict, most_steps: int) -> None:
    """``--force`` analysed it; without, it is refused for too few steps, said to be slow motion."""
    why = report["runner"]["refusal"]
    found = re.match(
        r"only (\d) regular alternating steps were found \(at least 4 are needed\), and the steps found "
        r"take about ([\d.]+) s each, slower than a walk although the knees fold as in running: this looks "
        r"like slow motion with too few steps in it",
        why or "",
    )
    assert found, why
    assert int(found.group(1)) <= most_steps and float(found.group(2)) >= 1.0


@pytest.mark.e2e
def test_handheld_tracking_clip_with_an_odd_frame_rate(shared_video, analysed):
    video = shared_video("outdoor_portrait_tracking_oddfps.mp4")
    proc, out = analysed(video, "--force")
    assert proc.returncode == 0, proc.stderr
    report = report_of(out)
    assert report["video"]["fps"] == pytest.approx(7457 / 250, abs=1e-3)
    assert report["video"]["frames"] == int(ffprobe_json(video)["streams"][0]["nb_read_frames"])
    assert "camera_moving" in {q["code"] for q in report["quality"]}
    assert report["metrics"]["vertical_oscillation_pct"]["value"] is None
    # Slow motion (about 8 times): by eye the runner lands at about frames 30 and 106 of 175, one step
    # in 2.5 s, and is seen front-oblique before; refusing is the honest answer.
    assert_refused_as_slow_motion_with_too_few_steps(report, most_steps=2)


@pytest.mark.e2e
def test_letterboxed_clip_is_analysed_and_the_bars_are_reported(shared_video, analysed):
    proc, out = analysed(shared_video("outdoor_side_silhouette_letterbox.mp4"), "--force")
    assert proc.returncode == 0, proc.stderr
    report = report_of(out)
    bars = report["video"]["capture"]["bars"]
    assert bars["top"] > 40 and bars["bottom"] > 40 and bars["left"] == bars["right"] == 0
    assert "letterbox" in {q["code"] for q in report["quality"]}
    # Slow motion (about 5 times): by eye the runner lands at frames 0, 48, 100, 153 and 205 of 252, a
    # step every 1.7 s; the first landing is the clip's first frame, so at most 3 steps can be measured.
    assert_refused_as_slow_motion_with_too_few_steps(report, most_steps=3)


@pytest.mark.e2e
def test_slow_motion_sprint_with_normal_speed_ends_is_refused_for_its_changing_speed(clips, analysed):
    proc, out = analysed(clips("sprint_speed_ramp"))
    message = refused(proc, 4)
    found = re.search(
        r"was not analysed: the steps last ([\d.]+) s around [\d.]+ s but ([\d.]+) s around [\d.]+ s, "
        r"([\d.]+) times longer: the clip's speed changes \(slow motion in part of it\?\)",
        message,
    )
    assert found, message
    fast, slow, factor = map(float, found.groups())
    assert 0.18 <= fast <= 0.24 and 0.8 <= slow <= 1.0 and 3.5 <= factor <= 5.0
    assert nothing_written(out)


@pytest.mark.e2e
def test_real_time_stretch_of_the_sprint_keeps_every_step(clips, analysed):
    # The pose model names the legs by position here (the front one "right"): every other contact was
    # lost (4 regular steps of 10) until the legs were relabelled step by step.
    proc, out = analysed(clips("sprint_real_time"))
    assert proc.returncode == 0, proc.stderr
    report = report_of(out)
    assert report["runner"]["is_running"] and report["view"]["label"] == "side"
    assert 260 <= report["cadence_spm"]["value"] <= 300
    assert report["cadence_spm"]["n_steps"] >= 8


@pytest.fixture(scope="module")
def short_runner_variants(shared_video, tmp_path_factory):
    """outdoor_side_fixed_short (1.7 s, a runner) in other codecs, containers and sizes."""
    need_ffmpeg()
    src = shared_video("outdoor_side_fixed_short.mp4")
    folder = tmp_path_factory.mktemp("codecs")
    made = {}
    recipes = {
        # an iPhone-style HEVC .mov
        "hevc.mov": ["-c:v", "libx265", "-x265-params", "log-level=error", "-tag:v", "hvc1", "-pix_fmt", "yuv420p"],
        # MPEG-4 Part 2 in AVI, at an odd width and height
        "mpeg4_odd.avi": ["-vf", "scale=479:351", "-c:v", "mpeg4", "-q:v", "3"],
        # VP9 in WebM
        "vp9.webm": ["-c:v", "libvpx-vp9", "-b:v", "1M", "-deadline", "realtime", "-cpu-used", "8"],
    }
    for name, args in recipes.items():
        made[name] = folder / name
        run_ffmpeg("-i", str(src), "-an", *args, str(made[name]))
    return made


@pytest.mark.e2e
@pytest.mark.parametrize("name, codec", [("hevc.mov", "hevc"), ("mpeg4_odd.avi", "mpeg4"), ("vp9.webm", "vp9")])
def test_other_codecs_containers_and_odd_sizes_are_analysed(short_runner_variants, analysed, name, codec):
    video = short_runner_variants[name]
    proc, out = analysed(video, "--force")
    assert proc.returncode == 0, proc.stderr
    report = report_of(out)
    stream = ffprobe_json(video)["streams"][0]
    assert report["video"]["codec"] == codec
    assert (report["video"]["width"], report["video"]["height"]) == (stream["width"], stream["height"])
    assert report["video"]["frames"] == int(stream["nb_read_frames"])
    assert report["runner"]["detected_fraction"] > 0.3


@pytest.mark.e2e
def test_odd_size_gets_a_playable_annotated_video(short_runner_variants, model_path, tmp_path):
    proc = formcam(
        "analyze",
        short_runner_variants["mpeg4_odd.avi"],
        "--out",
        tmp_path / "o",
        "-q",
        "--force",
        model_path=model_path,
    )
    assert proc.returncode == 0, proc.stderr
    annotated = ffprobe_json(tmp_path / "o" / "annotated.mp4")["streams"][0]
    assert annotated["codec_name"] == "h264" and int(annotated["nb_read_frames"]) > 40
    # Enlarged to 720 px high (VIDEO_MIN_SIDE), with even sides.
    assert (annotated["width"], annotated["height"]) == (984, 720)


@pytest.mark.e2e
def test_stream_that_breaks_half_way_is_analysed_up_to_the_break(shared_video, analysed, tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken")
    # 4 s of the 60 fps treadmill runner, smaller and with the index first, then cut like a broken download.
    whole = folder / "whole.mp4"
    trim(shared_video("treadmill_side_portrait_60fps.mp4"), whole, 0, 4, scale="540:960")
    run_ffmpeg("-i", str(whole), "-c", "copy", "-movflags", "+faststart", str(folder / "faststart.mp4"))
    broken = truncate(folder / "faststart.mp4", folder / "broken.mp4", 0.6)
    proc, out = analysed(broken, "--force")
    assert proc.returncode == 0, proc.stderr
    report = report_of(out)
    stopped = next(q for q in report["quality"] if q["code"] == "decode_stopped_early")
    assert (
        "broken.mp4 ended early" in stopped["message"] and "Only the part before it was analysed" in stopped["message"]
    )
    assert 60 <= report["video"]["frames"] < 200


@pytest.mark.e2e
def test_ctrl_c_during_the_pose_stage(shared_video, model_path, tmp_path):
    env = {**os.environ, "FORMCAM_MODEL_DIR": str(model_path.parent), "PYTHONPATH": str(REPO)}
    out = tmp_path / "o"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "formcam",
            "analyze",
            str(shared_video("bad/walking_side.mp4")),
            "--out",
            str(out),
            "-q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # A shell starting the test suite in the background makes SIGINT ignored, and that is
        # inherited; the child gets Ctrl-C's usual handling as it would from a terminal.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(5)  # past start-up and the model load, well inside 400 frames of pose estimation
    assert proc.poll() is None, "the analysis ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert stderr.strip() == "formcam: Interrupted; no half-written output was left behind."
    assert "Traceback" not in stdout + stderr
    assert nothing_written(out)


@pytest.mark.e2e
def test_video_input_is_never_opened_for_writing(short_runner_variants, model_path, tmp_path):
    """A read-only input, with file permissions in force (even for root): any write would fail; nothing changes."""
    video = tmp_path / "in.mov"
    shutil.copy(short_runner_variants["hevc.mov"], video)
    video.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    before = hashlib.sha256(video.read_bytes()).hexdigest(), video.stat().st_mtime_ns
    proc = formcam(
        "analyze",
        video,
        "--out",
        tmp_path / "o",
        "--no-video",
        "-q",
        "--force",
        model_path=model_path,
        file_permissions_apply=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (hashlib.sha256(video.read_bytes()).hexdigest(), video.stat().st_mtime_ns) == before
    assert (tmp_path / "o" / "report.json").is_file()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count open files")
def test_a_stream_abandoned_before_its_first_frame_closes_the_file(tmp_path):
    from formcam.video.decode import iter_frames

    clip = make_cfr_clip(tmp_path / "clip.mp4", 5)

    def open_to_clip() -> int:
        return sum(os.path.realpath(f"/proc/self/fd/{fd}") == str(clip.resolve()) for fd in os.listdir("/proc/self/fd"))

    stream = iter_frames(clip)
    assert open_to_clip() == 1
    stream.close()  # e.g. the pose model could not be loaded after the video was opened
    assert open_to_clip() == 0
