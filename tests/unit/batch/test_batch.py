"""formcam batch: finding and naming clips, resuming, summaries, comparison, and the local and Ray engines.

The unit tests use empty files (discovery and naming read no content) and
synthetic pose files (the whole analysis after the pose model, no model
needed). The end-to-end tests run the real model on short real clips, once per
engine: one local batch (killed after its first clip, then resumed) is shared by
the tests that read its results.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from formcam import __version__
from formcam.batch import EXIT_NONE_ANALYSED, EXIT_SOME_FAILED, find_clips, run_batch, runner_of, unique_names
from formcam.batch.clip import (
    FINAL_STATUSES,
    MANIFEST_NAME,
    STATUSES,
    ClipJob,
    file_sha256,
    is_up_to_date,
    options_fingerprint,
    read_manifest,
    status_of,
    write_manifest,
)
from formcam.batch.engines import timed_out_message
from formcam.batch.summary import (
    QUALITY_MESSAGE_SEPARATOR,
    SUMMARY_COLUMNS,
    read_summary_csv,
    summary_row,
    write_summary_csv,
)
from formcam.batch.summary_compare import compare_summaries
from formcam.batch.summary_html import STATUS_TEXT, summary_html, write_summary_html
from formcam.cli import app
from formcam.compare import expected_error_value
from formcam.errors import NothingToAnalyseError, OutputExistsError, UnreadableInputError
from formcam.gait.kinematics import analyse_pose
from formcam.gait.registry import HEADLINE_METRICS
from formcam.pipeline import ALL_OUTPUTS, AnalysisOptions
from formcam.pose.posefile import PoseSequence, save_pose
from formcam.report.json_report import ReportContent, build_report
from formcam.synthetic.gait import make_gait
from tests.helpers.media import need_ffmpeg, run_ffmpeg

NO_VIDEO = AnalysisOptions(outputs=ALL_OUTPUTS - {"annotated.mp4"}, progress=False)


def touch(path: Path, data: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------- finding and naming
def test_folders_files_and_globs_give_named_clips_with_runners(tmp_path):
    for name in (
        "anna/run1.mp4",
        "anna/run2.MOV",
        "ben/run1.mp4",
        "notes.txt",
        ".hidden.mp4",
        ".cache/x.mp4",
        "out/anna/run1/annotated.mp4",
        "old/annotated.mp4",
        "old/report.json",
    ):
        touch(tmp_path / "clinic" / name)
    touch(tmp_path / "loose" / "carl_2025-03-01.mp4")

    clips = find_clips(
        [tmp_path / "clinic", tmp_path / "loose" / "carl_2025-03-01.mp4"], exclude=tmp_path / "clinic" / "out"
    )
    assert [(c.name, c.runner) for c in clips] == [
        ("anna/run1", "anna"),
        ("anna/run2", "anna"),
        ("ben/run1", "ben"),
        ("carl_2025-03-01", "carl"),
    ]
    assert all(c.source.is_absolute() for c in clips)

    by_glob = find_clips([str(tmp_path / "clinic" / "*" / "run1.mp4")], exclude=tmp_path / "clinic" / "out")
    assert [(c.name, c.runner) for c in by_glob] == [("anna/run1", "anna"), ("ben/run1", "ben")]


def test_a_clip_named_twice_is_analysed_once(tmp_path):
    clip = touch(tmp_path / "clips" / "anna_1.mp4")
    clips = find_clips([tmp_path / "clips", clip, str(tmp_path / "clips" / "*.mp4")])
    assert [c.name for c in clips] == ["anna_1"]


def test_a_link_back_up_the_folder_tree_is_not_followed_forever(tmp_path):
    touch(tmp_path / "clips" / "anna" / "run.mp4")
    (tmp_path / "clips" / "anna" / "loop").symlink_to(tmp_path / "clips")
    assert [c.name for c in find_clips([tmp_path / "clips"])] == ["anna/run"]


def test_same_file_name_in_different_folders_gets_distinct_folders(tmp_path):
    a, b = touch(tmp_path / "monday" / "run.mp4"), touch(tmp_path / "tuesday" / "run.mp4")
    other = touch(tmp_path / "monday" / "easy.mp4")
    assert [c.name for c in find_clips([a, b, other])] == ["monday/run", "tuesday/run", "easy"]
    deep = [Path("/x/club/anna/run.mp4"), Path("/y/club/anna/run.mp4")]
    assert unique_names(deep, [("run.mp4",), ("run.mp4",)]) == ["x/club/anna/run", "y/club/anna/run"]
    same_stem = [Path("/c/run.mp4"), Path("/c/run.mov")]
    assert unique_names(same_stem, [("run.mp4",), ("run.mov",)]) == ["run_mp4", "run_mov"]


def test_runner_naming_rule():
    assert runner_of(("anna", "2025", "run.mp4")) == "anna"  # a folder per runner
    assert runner_of(("anna_tempo_1.mp4",)) == "anna"  # else the name up to the first underscore
    assert runner_of(("anna.mp4",)) == "anna"
    assert runner_of(("_odd.mp4",)) == "_odd"


def test_inputs_that_name_nothing_are_refused_before_any_work(tmp_path):
    with pytest.raises(UnreadableInputError, match="no file or folder"):
        find_clips([tmp_path / "missing.mp4"])
    with pytest.raises(UnreadableInputError, match="Nothing matches"):
        find_clips([str(tmp_path / "*.mp4")])
    touch(tmp_path / "docs" / "notes.txt")
    with pytest.raises(NothingToAnalyseError, match="No video files"):
        find_clips([tmp_path / "docs"])


# ------------------------------------------------------------------------------ hashing and records
def test_file_hash_is_read_in_chunks(tmp_path):
    data = np.random.default_rng(0).bytes(100_003)
    path = touch(tmp_path / "clip.mp4", data)
    assert file_sha256(path, chunk_bytes=4096) == hashlib.sha256(data).hexdigest() == file_sha256(path)


def test_a_clip_is_up_to_date_only_for_the_same_content_options_and_version(tmp_path):
    source = touch(tmp_path / "clip.mp4", b"a" * 1000)
    fingerprint = options_fingerprint(NO_VIDEO)
    stat = source.stat()
    manifest = {
        "status": "ok",
        "formcam_version": __version__,
        "options": fingerprint,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": file_sha256(source),
    }
    assert is_up_to_date(manifest, source, fingerprint)
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched, same bytes: the hash decides
    assert is_up_to_date(manifest, source, fingerprint)
    source.write_bytes(b"b" * 1000)  # same size, other content
    assert not is_up_to_date(manifest, source, fingerprint)
    source.write_bytes(b"a" * 1000)
    assert not is_up_to_date(manifest, source, options_fingerprint(AnalysisOptions(view="rear")))
    assert not is_up_to_date({**manifest, "formcam_version": "0.0.0"}, source, fingerprint)
    assert not is_up_to_date({**manifest, "status": "failed"}, source, fingerprint)  # failures are retried
    assert not is_up_to_date({**manifest, "status": "running"}, source, fingerprint)  # killed half-way


def test_options_that_do_not_change_results_do_not_make_a_clip_stale():
    assert options_fingerprint(AnalysisOptions(progress=True)) == options_fingerprint(AnalysisOptions(progress=False))
    assert options_fingerprint(AnalysisOptions(workers=1)) == options_fingerprint(AnalysisOptions())
    assert options_fingerprint(AnalysisOptions()) != options_fingerprint(NO_VIDEO)


# --------------------------------------------------------------------------------- summary, compare
def fake_report(view="rear", **gait) -> dict:
    pose = make_gait(view=view, duration_s=8, seed=1, markers=view != "side", **gait)
    kin = analyse_pose(pose)
    video: dict[str, Any] = {
        "path": None,
        "width": 1280,
        "height": 720,
        "fps": 60.0,
        "frames": pose.n_frames,
        "duration_s": 8.0,
        "rotation_deg": 0,
        "slow_motion_factor": 1.0,
        "slow_motion_source": None,
        "corrections": [],
        "decode_error": None,
    }
    return build_report(ReportContent(video, pose.t_ms, kin))


def test_summary_rows_round_trip_through_csv_and_render_as_a_self_contained_page(tmp_path):
    report = fake_report(pelvic_drop_deg=11, cadence_spm=168)
    rows = [
        summary_row(clip="anna/run1", runner="anna", status="ok", report=report, folder="anna/run1"),
        summary_row(clip="bad", runner="bad", status="unreadable", message="Cannot read bad.mp4 <moov>."),
    ]
    assert rows[0]["pelvic_drop_deg_flag"] == "high" and rows[0]["view"] == "rear"
    write_summary_csv(rows, tmp_path / "summary.csv")
    back = read_summary_csv(tmp_path / "summary.csv")
    assert list(back[0]) == list(SUMMARY_COLUMNS)
    assert (
        back[0]["cadence_spm"] == pytest.approx(168, abs=2) and back[0]["pelvic_drop_deg"] == rows[0]["pelvic_drop_deg"]
    )
    assert back[1]["status"] == "unreadable" and back[1]["pelvic_drop_deg"] is None

    page = summary_html(back, tmp_path)
    assert "<script" not in page and "<link" not in page and "http://" not in page and "https://" not in page
    assert 'class="num high"' in page and "Pelvic drop" in page
    assert "Cannot read bad.mp4 &lt;moov&gt;." in page  # escaped


def test_summary_page_fits_a_laptop_screen_and_never_scrolls_the_page(tmp_path):
    from tests.helpers.browser import sideways_scrolling

    long_name = "clinic-north/2025-03-14_thursday/anna-katharina_mueller_tempo_run_treadmill_rear_camera_1080p"
    every_metric = summary_row(clip=long_name, runner="anna-katharina", status="ok", report=fake_report(), folder="x")
    for name in HEADLINE_METRICS:  # the widest cells there can be: every metric measured, three digits and a sign
        every_metric.update({name: -123.4, f"{name}_left": -120.5, f"{name}_right": -126.3, f"{name}_flag": "high"})
    every_metric["quality_messages"] = QUALITY_MESSAGE_SEPARATOR.join(
        [
            "The runner is small in the picture (about 18% of its height); landmarks are less precise.",
            "Someone else is in view at times; the report follows the runner chosen (see people.jpg).",
        ]
    )
    unreadable_path = "/mnt/clinic/uploads/2025/03/14/" + "y" * 90 + ".mp4"
    rows = [
        every_metric,
        summary_row(
            clip="corrupt_" + "x" * 80,
            runner="corrupt",
            status="unreadable",
            message=f"Cannot read {unreadable_path}: it is an HTML page, not a video.",
        ),
        *(
            summary_row(clip=status, runner=status, status=status, message="One sentence about why. " * 6)
            for status in ("output_not_written", "usage_error", "timed_out", "failed", "pending")
        ),
    ]
    before = [{**every_metric, "pelvic_drop_deg": 3.0}]
    comparison = compare_summaries(before, rows, {"pelvic_drop_deg": 3.0})
    page = write_summary_html(rows, tmp_path / "summary.html", comparison)

    assert sideways_scrolling(page, width=1280) == []
    on_a_phone = sideways_scrolling(page, width=600)  # the check sees what does not fit ...
    assert on_a_phone and not [
        box for box in on_a_phone if box.startswith("the page")
    ]  # ... and only the table scrolls


def test_a_file_that_is_not_a_summary_is_refused(tmp_path):
    touch(tmp_path / "other.csv", b"name,value\nx,1\n")
    with pytest.raises(UnreadableInputError, match="not a summary.csv"):
        read_summary_csv(tmp_path / "other.csv")


def test_expected_error_text_is_read_as_a_number():
    assert expected_error_value("±3° per step (hip landmarks are estimated)") == 3
    assert expected_error_value("±2-4° (2D vs 3D)") == 4
    assert expected_error_value("±5 points; contact timing dominates") == 5
    assert expected_error_value("±15 % (height scale)", value=8.0) == pytest.approx(1.2)
    assert expected_error_value(None) is None and expected_error_value(2.5) == 2.5


def test_per_runner_changes_count_only_beyond_the_expected_error():
    def row(runner, status="ok", **values):
        return {"runner": runner, "status": status, **values}

    before = [
        row("anna", pelvic_drop_deg=10.0, cadence_spm=160.0),
        row("anna", pelvic_drop_deg=12.0, cadence_spm=162.0),
        row("ben", pelvic_drop_deg=6.0),
        row("carl", pelvic_drop_deg=5.0),
    ]
    after = [
        row("anna", pelvic_drop_deg=6.0, cadence_spm=172.0),
        row("ben", pelvic_drop_deg=7.0),
        row("ben", status="unreadable", pelvic_drop_deg=40.0),
        row("dana", pelvic_drop_deg=3.0),
    ]
    comparison = compare_summaries(before, after, {"pelvic_drop_deg": 3.0})
    changes = {(c.runner, c.measure): c for c in comparison.changes}
    anna = changes["anna", "pelvic_drop_deg"]
    assert (anna.before, anna.after, anna.change, anna.beyond_error) == (11.0, 6.0, -5.0, True)
    assert anna.expected_error == pytest.approx(np.hypot(3, 3))  # each value's error, combined
    assert changes["anna", "cadence_spm"].beyond_error is True
    assert changes["ben", "pelvic_drop_deg"].beyond_error is False  # +1° is within ±3°; the failed clip is ignored
    assert comparison.only_before == ["carl"] and comparison.only_after == ["dana"]


def test_clips_running_at_once_share_the_cores(monkeypatch):
    from formcam.batch import engines

    monkeypatch.setattr(engines, "usable_cores", lambda: 8)
    assert engines.threads_per_clip("local", None, 100) == 1  # 8 clips at once, a core each
    assert engines.threads_per_clip("local", None, 2) == 4  # 2 clips: 4 cores each
    assert engines.threads_per_clip("local", 2, 100) == 4
    assert engines.threads_per_clip("ray", None, 100) == 1
    assert engines.threads_per_clip("serial", None, 100) is None


def test_a_clip_that_crashes_its_worker_fails_alone(tmp_path):
    from formcam.batch.engines import run_local
    from tests.helpers.batch_work import crash_on_crash

    outcomes = []
    run_local(fake_jobs(tmp_path, "a", "crash", "b", "c"), outcomes.append, workers=2, work=crash_on_crash)
    by_name = {o.name: o for o in outcomes}
    assert sorted(by_name) == ["a", "b", "c", "crash"] and len(outcomes) == 4
    assert by_name["crash"].status == "failed" and "crashed" in by_name["crash"].message
    assert read_manifest(tmp_path / "out" / "crash")["status"] == "failed"
    assert all(by_name[name].status == "ok" for name in "abc")


def fake_jobs(folder: Path, *names: str) -> list[ClipJob]:
    """Jobs for the stand-in analyses of tests/helpers/batch_work.py, clip folders under ``folder/out``."""
    return [ClipJob(name, str(folder / f"{name}.mp4"), str(folder / "out" / name), NO_VIDEO) for name in names]


def assert_stopped_by_time_limit(outcomes, out: Path, clip_timeout: float) -> int:
    """The slow clip timed out and was recorded so, without what its analysis left; the others were analysed.

    Returns the slow clip's worker process id.
    """
    by_name = {o.name: o for o in outcomes}
    assert sorted(by_name) == ["a", "b", "slow"] and len(outcomes) == 3
    slow = by_name["slow"]
    assert slow.status == "timed_out" and slow.seconds >= clip_timeout
    assert slow.message == timed_out_message(clip_timeout) and "--clip-timeout" in slow.message
    assert by_name["a"].status == by_name["b"].status == "ok"
    manifest = read_manifest(out / "slow")
    assert manifest is not None
    assert manifest["status"] == "timed_out" and manifest["message"] == slow.message
    assert not is_up_to_date(manifest, out / "slow.mp4", options_fingerprint(NO_VIDEO))  # the next run tries again
    assert not (out / "slow" / "frames.csv").exists() and not (out / "slow" / ".annotated.mp4.part").exists()
    return int((out / "slow" / "worker.pid").read_text())


def test_a_clip_over_its_time_limit_has_its_worker_killed_and_the_batch_goes_on(tmp_path):
    from formcam.batch.engines import run_local
    from tests.helpers.batch_work import hang_on_slow

    outcomes = []
    run_local(fake_jobs(tmp_path, "slow", "a", "b"), outcomes.append, workers=1, clip_timeout=3.0, work=hang_on_slow)
    slow_pid = assert_stopped_by_time_limit(outcomes, tmp_path / "out", 3.0)
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left running
        os.kill(slow_pid, 0)
    pids = {o.report["pid"] for o in outcomes if o.report}
    assert len(pids) == 1 and slow_pid not in pids  # a fresh worker took its place for the rest


def test_a_clip_whose_worker_crashes_is_tried_again_in_a_fresh_one(tmp_path):
    from formcam.batch.engines import CRASH_ATTEMPTS, run_local
    from tests.helpers.batch_work import crash_first_tries

    always = f"crash-{CRASH_ATTEMPTS}"
    outcomes = []
    run_local(fake_jobs(tmp_path, "crash-1", always, "a"), outcomes.append, workers=2, work=crash_first_tries)
    by_name = {o.name: o for o in outcomes}
    assert sorted(by_name) == ["a", "crash-1", always] and len(outcomes) == 3

    def tries(name: str) -> list[int]:
        return [int(pid) for pid in (tmp_path / "out" / name / "tries.txt").read_text().split()]

    assert by_name["crash-1"].status == "ok" and len(tries("crash-1")) == 2  # crashed once, then analysed
    assert by_name["crash-1"].report["pid"] == tries("crash-1")[1]
    assert by_name[always].status == "failed" and f"{CRASH_ATTEMPTS} times" in by_name[always].message
    assert len(tries(always)) == CRASH_ATTEMPTS  # and not tried again
    assert by_name["a"].status == "ok" and tries("a") == [by_name["a"].report["pid"]]


@contextlib.contextmanager
def fails_if_still_running_after(seconds: float):
    """Raise ``TimeoutError`` here after ``seconds``: a test of a loop that should end fails rather than hangs."""

    def give_up(signum, frame):
        raise TimeoutError(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_batch_whose_workers_die_as_they_start_stops_with_an_error(tmp_path):
    from formcam.batch.engines import run_local
    from tests.helpers.batch_work import DiesStarting

    outcomes = []
    with fails_if_still_running_after(120), pytest.raises(RuntimeError, match="die as they start"):
        run_local(fake_jobs(tmp_path, "a", "b", "c"), outcomes.append, workers=2, work=DiesStarting())
    assert outcomes == []  # no clip is blamed for it
    assert not [child for child in multiprocessing.active_children() if child.name == "formcam-batch"]


def test_a_clip_is_timed_from_when_a_started_worker_takes_it(tmp_path):
    from formcam.batch.engines import run_local
    from tests.helpers.batch_work import StartsSlowly

    outcomes = []  # the worker takes 3 s to start; the clip itself, no time at all
    run_local(fake_jobs(tmp_path, "a"), outcomes.append, workers=1, clip_timeout=2.0, work=StartsSlowly(3.0))
    assert [(o.name, o.status) for o in outcomes] == [("a", "ok")]


def test_every_kind_of_error_gives_a_clip_a_status_of_its_own():
    from formcam import errors

    expected = {
        errors.UnreadableInputError: "unreadable",
        errors.NothingToAnalyseError: "nothing_to_analyse",
        errors.OutputWriteError: "output_not_written",
        errors.UsageError: "usage_error",
        errors.ModelNotFoundError: "usage_error",  # on a Ray node without the model
        errors.OutputExistsError: "usage_error",
        errors.FormcamError: "failed",
    }
    defined = {
        kind for kind in vars(errors).values() if isinstance(kind, type) and issubclass(kind, errors.FormcamError)
    }
    assert defined == set(expected), "a new error class: decide the batch status it gives"
    for kind, status in expected.items():
        assert status_of(kind("One sentence.")) == status, kind.__name__
    assert set(STATUSES) == set(expected.values()) | {"ok", "timed_out"}
    assert FINAL_STATUSES == {"ok", "unreadable", "nothing_to_analyse"}  # the rest depend on the moment: retried
    for status in (*STATUSES, "pending"):  # each is worded and coloured in the summary
        assert status in STATUS_TEXT and f".status.{status}" in summary_style()


def summary_style() -> str:
    from formcam.batch import summary_html as page

    return page._STYLE


# ------------------------------------------------------------------ whole batches on pose files (no model)
@pytest.fixture(scope="module")
def pose_clips(tmp_path_factory) -> Path:
    """Two runners' synthetic pose files, a file that is no pose file, and one with nobody in it."""
    folder = tmp_path_factory.mktemp("poses")
    save_pose(make_gait(view="rear", pelvic_drop_deg=6, duration_s=6, seed=1, markers=True), folder / "anna_1.npz")
    save_pose(make_gait(view="side", head_forward_pct=12, duration_s=6, seed=2), folder / "ben_1.npz")
    touch(folder / "broken.npz", b"not a pose file")
    empty = make_gait(duration_s=2, seed=3)
    empty = PoseSequence(
        empty.t_ms,
        np.full_like(empty.image_xy, np.nan),
        np.full_like(empty.visibility, np.nan),
        empty.world_xyz,
        empty.frame_size,
    )
    save_pose(empty, folder / "nobody.npz")
    return folder


def pose_inputs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.npz"))  # a folder search looks for videos only; pose files are named


def statuses(summary) -> dict[str, str]:
    return {r.clip.name: r.status for r in summary.results}


def test_bad_clips_get_their_status_and_a_rerun_redoes_nothing(pose_clips, tmp_path):
    out = tmp_path / "out"
    first = run_batch(pose_inputs(pose_clips), out, NO_VIDEO, engine="serial")
    assert statuses(first) == {"anna_1": "ok", "ben_1": "ok", "broken": "unreadable", "nobody": "nothing_to_analyse"}
    assert first.exit_code == EXIT_SOME_FAILED
    rows = {row["clip"]: row for row in read_summary_csv(out / "summary.csv")}
    assert rows["anna_1"]["view"] == "rear" and rows["anna_1"]["runner"] == "anna"
    assert "nobody.npz" in rows["nobody"]["message"]
    assert (out / "summary.html").exists() and (out / "anna_1" / "report.json").exists()
    manifests = {name: (out / name / MANIFEST_NAME).stat().st_mtime_ns for name in statuses(first)}

    again = run_batch(pose_inputs(pose_clips), out, NO_VIDEO, engine="serial")
    assert all(r.reused for r in again.results) and statuses(again) == statuses(first)
    assert {name: (out / name / MANIFEST_NAME).stat().st_mtime_ns for name in manifests} == manifests
    assert (out / "summary.csv").read_text() == first.csv_path.read_text()

    forced = run_batch(pose_inputs(pose_clips)[:1], out, NO_VIDEO, engine="serial", force=True)
    assert not forced.results[0].reused
    taller = AnalysisOptions(height_cm=180, progress=False)
    other_options = run_batch(pose_inputs(pose_clips)[:1], out, taller, engine="serial")
    assert not other_options.results[0].reused and other_options.results[0].report["runner"]["height_cm"] == 180


def test_an_interrupted_batch_leaves_a_summary_and_resumes_where_it_stopped(pose_clips, tmp_path):
    out, seen = tmp_path / "out", []

    def interrupt_after_first(result):
        seen.append(result.clip.name)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(pose_inputs(pose_clips), out, NO_VIDEO, engine="serial", on_clip=interrupt_after_first)
    rows = {row["clip"]: row["status"] for row in read_summary_csv(out / "summary.csv")}
    assert rows[seen[0]] == "ok" and sorted(rows.values()).count("pending") == 3

    resumed = run_batch(pose_inputs(pose_clips), out, NO_VIDEO, engine="serial")
    assert [r.clip.name for r in resumed.results if r.reused] == [seen[0]]
    assert "pending" not in statuses(resumed).values()


def test_an_analysis_batch_did_not_make_is_not_replaced_without_force(pose_clips, tmp_path):
    out = tmp_path / "out"
    touch(out / "anna_1" / "report.json", b"{}")
    summary = run_batch([pose_clips / "anna_1.npz"], out, NO_VIDEO, engine="serial")
    assert summary.results[0].status == "usage_error" and "--force" in summary.results[0].message
    assert (out / "anna_1" / "report.json").read_bytes() == b"{}"
    assert summary.exit_code == EXIT_NONE_ANALYSED
    forced = run_batch([pose_clips / "anna_1.npz"], out, NO_VIDEO, engine="serial", force=True)
    assert forced.results[0].status == "ok" and forced.exit_code == 0


def test_a_clip_whose_folder_cannot_be_written_gets_its_own_status(pose_clips, tmp_path):
    out = tmp_path / "out"
    touch(out / "anna_1", b"a file where the clip's folder should go")
    summary = run_batch([pose_clips / "anna_1.npz", pose_clips / "ben_1.npz"], out, NO_VIDEO, engine="serial")
    assert statuses(summary) == {"anna_1": "output_not_written", "ben_1": "ok"}
    assert summary.results[0].message == f"Cannot write the outputs into {(out / 'anna_1').resolve()}: file exists."
    assert summary.exit_code == EXIT_SOME_FAILED
    row = read_summary_csv(out / "summary.csv")[0]
    assert row["status"] == "output_not_written" and "outputs not written" in (out / "summary.html").read_text()


def test_a_clip_on_a_full_disk_gets_its_own_status_and_is_retried(pose_clips, tmp_path):
    """A real full disk under one clip's folder: a 32 KB tmpfs holds its batch.json but not its outputs."""
    out = tmp_path / "out"
    tiny = out / "anna_1"
    tiny.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", str(tiny)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        summary = run_batch([pose_clips / "anna_1.npz", pose_clips / "ben_1.npz"], out, NO_VIDEO, engine="serial")
        anna = summary.results[0]
        assert anna.status == "output_not_written", anna.message
        assert (
            anna.message.startswith(f"Cannot write the outputs into {tiny.resolve()}")
            and "no space left" in anna.message
        )
        assert statuses(summary)["ben_1"] == "ok" and summary.exit_code == EXIT_SOME_FAILED
        assert [p.name for p in tiny.iterdir()] == [MANIFEST_NAME]  # what was written is no result, and made room
        assert read_manifest(tiny)["status"] == "output_not_written"
        again = run_batch([pose_clips / "anna_1.npz"], out, NO_VIDEO, engine="serial")
        assert not again.results[0].reused  # not final: tried again (and, the disk still full, not written again)
    finally:
        subprocess.run(["umount", str(tiny)], check=True)


def test_a_summary_formcam_did_not_write_is_never_replaced(pose_clips, tmp_path):
    touch(tmp_path / "summary.csv", b"my,own,table\n")
    with pytest.raises(OutputExistsError):
        run_batch([pose_clips / "anna_1.npz"], tmp_path, NO_VIDEO, engine="serial")
    assert (tmp_path / "summary.csv").read_bytes() == b"my,own,table\n"


def test_a_killed_analysis_is_redone(pose_clips, tmp_path):
    out = tmp_path / "out"
    run_batch([pose_clips / "anna_1.npz"], out, NO_VIDEO, engine="serial")
    manifest = read_manifest(out / "anna_1")
    write_manifest(out / "anna_1", {**manifest, "status": "running"})  # as a worker leaves it when killed
    assert not run_batch([pose_clips / "anna_1.npz"], out, NO_VIDEO, engine="serial").results[0].reused


def test_an_internal_error_is_recorded_with_its_traceback_and_retried(pose_clips, tmp_path):
    from formcam.batch.clip import analyse_clip

    options = AnalysisOptions(outputs=frozenset({"report.json"}), progress=False)
    object.__setattr__(options, "height_cm", "tall")  # past the option checks: a bug further on
    job = ClipJob("anna_1", str(pose_clips / "anna_1.npz"), str(tmp_path / "anna_1"), options)
    outcome = analyse_clip(job)
    assert outcome.status == "failed" and "internal error" in outcome.message
    manifest = read_manifest(tmp_path / "anna_1")
    assert "Traceback" in manifest["traceback"]
    assert not is_up_to_date(manifest, pose_clips / "anna_1.npz", options_fingerprint(options))


def test_batch_command_exit_codes_and_comparison(pose_clips, tmp_path):
    runner = CliRunner()
    inputs = [str(p) for p in pose_inputs(pose_clips)]
    result = runner.invoke(app, ["batch", *inputs, "--out", str(tmp_path / "a"), "--engine", "serial", "--no-video"])
    assert result.exit_code == EXIT_SOME_FAILED, result.output
    assert "anna_1" in result.output and "unreadable" in result.output

    ok_only = [str(pose_clips / "anna_1.npz"), str(pose_clips / "ben_1.npz")]
    result = runner.invoke(
        app,
        [
            "batch",
            *ok_only,
            "--out",
            str(tmp_path / "b"),
            "--engine",
            "serial",
            "--no-video",
            "--compare-to",
            str(tmp_path / "a" / "summary.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "within" in result.output
    changes = (tmp_path / "b" / "changes.csv").read_text()
    assert changes.startswith("runner,measure,") and "anna,pelvic_drop_deg," in changes
    assert "Changes since the earlier batch" in (tmp_path / "b" / "summary.html").read_text()

    result = runner.invoke(
        app, ["batch", str(pose_clips / "broken.npz"), "--out", str(tmp_path / "c"), "--engine", "serial"]
    )
    assert result.exit_code == EXIT_NONE_ANALYSED
    result = runner.invoke(app, ["batch", str(tmp_path / "nope.mp4")])
    assert result.exit_code == 3 and "no file or folder" in result.output
    for wrong in (
        ["--engine", "spark"],
        ["--workers", "0"],
        ["--address", "ray://head:10001"],
        ["--clip-timeout", "0"],
        ["--clip-timeout", "60", "--engine", "serial"],
    ):
        result = runner.invoke(app, ["batch", *ok_only, *wrong])
        assert result.exit_code == 2, result.output


# ------------------------------------------------------------------------- real clips, real model
@pytest.fixture(scope="module")
def clip_folder(shared_video, tmp_path_factory) -> Path:
    """Five real clips of 2.5 s or less: two runners with the same file name, a short clip, a game, a corrupt file."""
    need_ffmpeg()
    folder = tmp_path_factory.mktemp("clips")
    for name, source, start_s in (
        ("anna/run.mp4", "treadmill_side_portrait_60fps.mp4", 0),
        ("ben/run.mp4", "treadmill_side_portrait_60fps.mp4", 3.5),  # other frames, same name
        ("dino_game.mp4", "bad/no_person_dino_game.mp4", 0),
    ):
        (folder / name).parent.mkdir(exist_ok=True)
        run_ffmpeg(
            "-ss",
            str(start_s),
            "-t",
            "2.5",
            "-i",
            str(shared_video(source)),
            "-vf",
            "scale=-2:'min(ih,640)'",
            "-an",
            "-c:v",
            "libx264",
            "-crf",
            "20",
            str(folder / name),
        )
    (folder / "short_side.mp4").symlink_to(shared_video("outdoor_side_fixed_short.mp4"))
    (folder / "corrupt.mp4").symlink_to(shared_video("bad/corrupt_truncated_no_moov.mp4"))
    return folder


#: What the end-to-end batches write per clip (report.html's evidence frames and the video are tested elsewhere).
LEAN = AnalysisOptions(outputs=frozenset({"report.json", "frames.csv", "steps.csv"}), progress=False)
EXPECTED_STATUSES = {
    "anna/run": "ok",
    "ben/run": "ok",
    "short_side": "nothing_to_analyse",  # two strides: nothing rests on fewer than 4 regular steps
    "corrupt": "unreadable",
    "dino_game": "nothing_to_analyse",
}


def batch_command(*args) -> list[str]:
    return [sys.executable, "-m", "formcam", "batch", *map(str, args)]


@pytest.fixture(scope="module")
def resumed_batch(clip_folder, model_path, tmp_path_factory):
    """A local batch killed (SIGKILL, workers and all) once a clip is analysed, then run again to the end.

    ``before``: the clips finished (analysed or failed for good) when it was
    killed, with their records' modification times.
    """
    out = tmp_path_factory.mktemp("batch") / "out"
    env = {**os.environ, "FORMCAM_MODEL_DIR": str(model_path.parent)}
    args = batch_command(clip_folder, "--out", out, "--format", "json,csv", "--workers", "2", "-q")
    process = subprocess.Popen(args, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first_done, deadline = None, time.monotonic() + 300
    while first_done is None and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
        done = [name for name in EXPECTED_STATUSES if (read_manifest(out / name) or {}).get("status") == "ok"]
        first_done = done[0] if done else None
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert first_done is not None, f"no clip finished before the batch ended: {process.stderr.read().decode()}"
    before = {
        name: (out / name / MANIFEST_NAME).stat().st_mtime_ns
        for name in EXPECTED_STATUSES
        if (read_manifest(out / name) or {}).get("status") in FINAL_STATUSES
    }
    resumed = subprocess.run(args[:-1], env=env, capture_output=True, text=True, timeout=600)
    return {"out": out, "first_done": first_done, "before": before, "resumed": resumed}


@pytest.mark.e2e
def test_batch_of_real_clips_gives_each_clip_its_status(resumed_batch):
    out, resumed = resumed_batch["out"], resumed_batch["resumed"]
    assert resumed.returncode == EXIT_SOME_FAILED, resumed.stderr
    rows = {row["clip"]: row for row in read_summary_csv(out / "summary.csv")}
    assert {name: row["status"] for name, row in rows.items()} == EXPECTED_STATUSES
    assert rows["anna/run"]["runner"] == "anna" and rows["ben/run"]["runner"] == "ben"
    assert rows["anna/run"]["view"] == "side" and rows["anna/run"]["cadence_spm"] > 120
    assert "corrupt.mp4" in rows["corrupt"]["message"] and "dino_game.mp4" in rows["dino_game"]["message"]
    for name, status in EXPECTED_STATUSES.items():
        assert (out / name / "report.json").exists() == (status == "ok")
        assert not (out / name / "annotated.mp4").exists() and not (out / name / "report.html").exists()
    page = (out / "summary.html").read_text()
    assert page.count("<tr>") == 1 + len(EXPECTED_STATUSES) and 'href="anna/run/report' in page


@pytest.mark.e2e
def test_resumed_batch_did_not_redo_finished_clips(resumed_batch):
    out, resumed = resumed_batch["out"], resumed_batch["resumed"]
    assert resumed_batch["first_done"] in resumed_batch["before"]
    for name, mtime in resumed_batch["before"].items():  # a worker rewrites the record first thing
        assert (out / name / MANIFEST_NAME).stat().st_mtime_ns == mtime, f"{name} was analysed again"
    assert f"{len(resumed_batch['before'])} clips already analysed" in resumed.stdout
    assert resumed.stdout.count("✓") + resumed.stdout.count("✗") == len(EXPECTED_STATUSES) - len(
        resumed_batch["before"]
    )


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray instance with two CPUs, shared by the tests of the Ray engine (it takes a while to start)."""
    ray = pytest.importorskip("ray") if not os.environ.get("CI") else __import__("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.e2e
def test_ray_engine_gives_the_same_summary_as_the_local_engine(resumed_batch, clip_folder, local_ray, tmp_path):
    summary = run_batch([clip_folder], tmp_path / "ray", LEAN, engine="ray")
    assert not any(r.reused for r in summary.results)
    local = (resumed_batch["out"] / "summary.csv").read_text()
    assert summary.csv_path.read_text() == local
    again = run_batch([clip_folder], tmp_path / "ray", LEAN, engine="local")  # the engines share their records
    assert all(r.reused for r in again.results)


@pytest.mark.e2e  # no model, but a Ray instance is slow to start: it shares the one above
def test_ray_engine_stops_a_clip_over_its_time_limit(local_ray, tmp_path):
    from formcam.batch.engines import run_ray
    from tests.helpers.batch_work import hang_on_slow

    run_ray(fake_jobs(tmp_path / "warm-up", "a", "b"), lambda outcome: None, work=hang_on_slow)  # Ray's workers started
    outcomes = []
    run_ray(fake_jobs(tmp_path, "slow", "a", "b"), outcomes.append, clip_timeout=10.0, work=hang_on_slow)
    slow_pid = assert_stopped_by_time_limit(outcomes, tmp_path / "out", 10.0)
    assert not is_running(slow_pid)  # ray.cancel(force=True) killed its worker process


def is_running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie waiting to be reaped by its parent."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")
