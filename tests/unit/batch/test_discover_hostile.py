"""Batch discovery on hostile folder trees (issue 22, points 3, 5, 8).

A FIFO named like a video, an unreadable subfolder, a link to ``/`` and clip
names that are ``..`` must neither stall nor abort the batch, nor send a clip's
outputs outside the batch folder. Discovery runs in a child process (with a
time limit: before the fixes a link to ``/`` walked the whole file system, and
with file permissions in force, so that root is refused like any user).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from formcam.batch import find_clips, unique_names
from formcam.batch.discover import discover
from formcam.outputs import default_out_dir
from tests.conftest import REPO

DISCOVER = """
import json, sys
from formcam.batch.discover import discover
found = discover(sys.argv[1:])
print(json.dumps({"clips": [c.name for c in found.clips], "skipped": found.skipped}))
"""


def discover_in_child(*inputs: Path, timeout: float = 30) -> dict:
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv (util-linux): cannot make file permissions apply")
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]
    done = subprocess.run(
        [*prefix, sys.executable, "-c", DISCOVER, *map(str, inputs)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_an_unreadable_subfolder_is_skipped_and_reported(tmp_path):
    touch(tmp_path / "clips" / "anna" / "run.mp4")
    locked = tmp_path / "clips" / "ben"
    touch(locked / "batch.json")
    touch(locked / "run.mp4")
    locked.chmod(0)
    try:
        found = discover_in_child(tmp_path / "clips")
    finally:
        locked.chmod(0o755)
    assert found["clips"] == ["anna/run"]
    assert len(found["skipped"]) == 1 and "ben" in found["skipped"][0] and "permission denied" in found["skipped"][0]


def test_a_link_to_the_root_folder_is_not_walked(tmp_path):
    touch(tmp_path / "clips" / "anna" / "run.mp4")
    (tmp_path / "clips" / "everything").symlink_to("/")
    found = discover_in_child(tmp_path / "clips", timeout=20)
    assert found["clips"] == ["anna/run"]
    assert len(found["skipped"]) == 1 and "everything" in found["skipped"][0] and "outside" in found["skipped"][0]


def test_a_link_inside_the_tree_is_still_followed(tmp_path):
    touch(tmp_path / "clips" / "2025" / "anna" / "run.mp4")
    (tmp_path / "clips" / "anna").symlink_to(tmp_path / "clips" / "2025" / "anna")
    found = discover([tmp_path / "clips"])
    assert len(found.clips) == 1 and found.clips[0].name in {"2025/anna/run", "anna/run"} and found.skipped == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_like_a_video_is_never_opened(tmp_path):
    touch(tmp_path / "clips" / "anna.mp4")
    os.mkfifo(tmp_path / "clips" / "pipe.mp4")
    found = discover_in_child(tmp_path / "clips", timeout=20)
    assert found["clips"] == ["anna"]
    assert (
        len(found["skipped"]) == 1 and "pipe.mp4" in found["skipped"][0] and "not a regular file" in found["skipped"][0]
    )
    assert find_clips([tmp_path / "clips" / "anna.mp4"])[0].name == "anna"


def test_clip_names_stay_inside_the_batch_folder():
    """Before: ``Path('...mp4').stem == '..'``, so the clip's outputs went to the batch folder's parent."""
    names = unique_names(
        [Path("/c/...mp4"), Path("/c/..mp4"), Path("/c/.mp4.mp4")], [("...mp4",), ("..mp4",), (".mp4.mp4",)]
    )
    assert all(name not in {".", ".."} and not name.startswith(".") for name in names), names
    assert len(set(names)) == 3


def test_the_default_output_folder_of_a_dot_named_clip_is_not_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = default_out_dir(Path("...mp4")).resolve()
    assert out.parent == (tmp_path / "formcam-out").resolve() and out.name not in {".", ".."}
