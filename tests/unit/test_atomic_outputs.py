"""Writing outputs: never through a planted link, never half an analysis, never two at once (issue 22, points 2, 7)."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from formcam.atomic import write_atomic, write_text_atomic
from formcam.errors import UsageError
from formcam.outputs import OutputLock, staged_outputs
from formcam.video.encode import H264Writer


def plant_links(folder: Path, victim: Path, names: list[str]) -> None:
    for name in names:
        (folder / f".{name}.part").symlink_to(victim)


def test_a_planted_temporary_link_is_never_written_through(tmp_path):
    victim = tmp_path / "run.mp4"
    victim.write_bytes(b"the input video")
    out = tmp_path / "o"
    out.mkdir()
    plant_links(out, victim, ["report.json", "annotated.mp4"])
    write_text_atomic(out / "report.json", "{}")
    write_atomic(out / "report.json", lambda tmp: tmp.write_bytes(b"{}"))
    writer = H264Writer(out / "annotated.mp4", width=64, height=64, time_base=Fraction(1, 15360), fps=30)
    for i in range(5):
        writer.write(np.full((64, 64, 3), i, np.uint8), i * 512)
    writer.close()
    assert victim.read_bytes() == b"the input video"
    assert (out / "report.json").read_text() == "{}"
    assert (out / ".report.json.part").is_symlink()  # left alone: not ours to remove


def test_an_output_name_that_is_a_link_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "run.mp4"
    victim.write_bytes(b"the input video")
    (tmp_path / "report.json").symlink_to(victim)
    write_text_atomic(tmp_path / "report.json", "{}")
    assert victim.read_bytes() == b"the input video"
    assert not (tmp_path / "report.json").is_symlink()


def test_temporary_names_are_unique(tmp_path):
    seen = []
    for _ in range(2):
        write_atomic(tmp_path / "a.txt", lambda tmp: seen.append(tmp) or tmp.write_text("x"))
    assert seen[0] != seen[1] and all(p.name.startswith(".a.txt.") and p.name.endswith(".part") for p in seen)


def test_a_staged_analysis_appears_whole_or_not_at_all(tmp_path):
    out = tmp_path / "o"
    with pytest.raises(KeyboardInterrupt):
        with staged_outputs(out) as stage:
            (stage / "frames.csv").write_text("t\n")
            raise KeyboardInterrupt
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []
    with staged_outputs(out) as stage:
        (stage / "frames.csv").write_text("t\n")
        (stage / "report.json").write_text("{}")
        assert not out.exists()
    assert sorted(p.name for p in out.iterdir()) == ["frames.csv", "report.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["o"]


def test_staging_into_an_existing_folder_replaces_only_what_it_wrote(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "report.json").write_text("old")
    with staged_outputs(out) as stage:
        (stage / "report.json").write_text("new")
    assert (out / "notes.txt").read_text() == "mine" and (out / "report.json").read_text() == "new"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "report.json"]


def test_a_second_run_into_the_same_folder_is_refused_while_the_first_holds_it(tmp_path):
    out = tmp_path / "o"
    with OutputLock(out):
        with pytest.raises(UsageError, match="Another formcam analysis is writing"):
            with OutputLock(out):
                pass
    with OutputLock(out):  # free again once the first is done
        pass
    assert os.listdir(tmp_path) == []  # the lock file goes with the lock


# ------------------------------------------------------------------ a whole analysis (pose file, no model)


@pytest.fixture(scope="module")
def pose_file(tmp_path_factory) -> Path:
    from formcam.pose.posefile import save_pose
    from formcam.synthetic.gait import make_gait

    return save_pose(make_gait(view="side", duration_s=6, seed=2), tmp_path_factory.mktemp("pose") / "ben.npz")


def test_an_analysis_interrupted_while_writing_leaves_nothing(pose_file, tmp_path, monkeypatch):
    """Before: the CSVs and pose.npz were complete, report.html half-written and report.json missing."""
    from formcam import pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # what Ctrl-C or SIGTERM raises in the main thread

    monkeypatch.setattr(pipeline, "write_report_html", interrupted)
    out = tmp_path / "o"
    with pytest.raises(KeyboardInterrupt):
        pipeline.analyze(pose_file, out, pipeline.AnalysisOptions(progress=False))
    assert os.listdir(tmp_path) == []  # no folder, no private stage, no lock file


def test_a_second_analysis_into_a_held_folder_is_refused_before_any_work(pose_file, tmp_path, monkeypatch):
    from formcam import pipeline

    monkeypatch.setattr(pipeline, "analyse_pose", lambda *a, **k: pytest.fail("the analysis ran"))
    out = tmp_path / "o"
    with OutputLock(out):
        with pytest.raises(UsageError, match=r"^Another formcam analysis is writing into .*; wait for it"):
            pipeline.analyze(pose_file, out, pipeline.AnalysisOptions(progress=False, overwrite=True))


def test_a_whole_analysis_appears_with_every_file_and_nothing_else(pose_file, tmp_path):
    from formcam import pipeline

    out = tmp_path / "o"
    analysis = pipeline.analyze(pose_file, out, pipeline.AnalysisOptions(progress=False))
    assert sorted(os.listdir(tmp_path)) == ["o"]
    assert sorted(p.name for p in analysis.files) == sorted(os.listdir(out))
    assert all(p.parent == out for p in analysis.files)
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_report_loader_refuses_a_fifo_without_opening_it(tmp_path):
    from formcam.errors import UnreadableInputError
    from formcam.report.json_report import read_report

    os.mkfifo(tmp_path / "report.json")
    with pytest.raises(UnreadableInputError, match="FIFO"):
        read_report(tmp_path / "report.json")


def test_the_video_failing_while_the_outputs_are_drawn_is_an_input_error_not_an_output_error(tmp_path, monkeypatch):
    """Before: any FFmpeg error while writing said "Cannot write the outputs ..." (exit 5) (issue 22, point 10)."""
    import errno

    import av

    from formcam import pipeline
    from formcam.errors import UnreadableInputError
    from formcam.pose.posefile import save_pose, video_fingerprint
    from formcam.synthetic.gait import make_gait

    video = tmp_path / "run.mp4"
    video.write_bytes(b"stands in for the analysed video")
    pose = make_gait(view="side", duration_s=6, seed=2)
    pose.extras.video = {**pipeline._video_section_without_file(pose), "path": str(video)}
    pose.extras.video_fingerprint = video_fingerprint(video)  # the pose file's own video: drawn on
    path = save_pose(pose, tmp_path / "pose.npz")

    def broken_input(*args, **kwargs):
        raise av.error.InvalidDataError(errno.EINVAL, "Invalid data found when processing input", str(video))

    monkeypatch.setattr(pipeline, "write_report_html", broken_input)
    with pytest.raises(UnreadableInputError, match=r"^run\.mp4 could not be read again to draw the outputs"):
        pipeline.analyze(
            path, tmp_path / "o", pipeline.AnalysisOptions(progress=False, outputs=frozenset({"report.html"}))
        )
    assert not (tmp_path / "o").exists()


def test_an_existing_output_folder_in_a_folder_one_may_not_write_to_still_works(pose_file, tmp_path):
    """The lock and the private folder then go inside ``--out``; file permissions in force, even for root."""
    import shutil
    import subprocess
    import sys

    from tests.conftest import REPO

    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv (util-linux): cannot make file permissions apply")
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]
    parent = tmp_path / "shared"
    out = parent / "mine"
    out.mkdir(parents=True)
    out.chmod(0o777)
    parent.chmod(0o555)
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "formcam", "analyze", "--pose", str(pose_file), "--out", str(out), "-q"],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
    finally:
        parent.chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert "report.json" in os.listdir(out) and not [n for n in os.listdir(out) if n.startswith(".")]
