import numpy as np
import pytest

from formcam.errors import UnreadableInputError
from formcam.pose.posefile import FORMAT, PoseExtras, PoseSequence, load_pose, save_pose


def sample_pose(n=5):
    rng = np.random.default_rng(1)
    return PoseSequence(
        t_ms=np.arange(n) * 16.7,
        image_xy=rng.uniform(0, 500, (n, 33, 2)),
        visibility=rng.uniform(0, 1, (n, 33)),
        world_xyz=np.full((n, 33, 3), np.nan),
        frame_size=(640, 480),
        extras=PoseExtras(
            video={
                "path": "x.mp4",
                "width": 640,
                "height": 480,
                "fps": 60.0,
                "frames": n,
                "duration_s": n / 60,
                "rotation_deg": 0,
                "slow_motion_factor": 1.0,
            }
        ),
    )


def test_round_trip_keeps_contract_keys_and_dtypes(tmp_path):
    pose = sample_pose()
    save_pose(pose, tmp_path / "pose.npz")
    with np.load(tmp_path / "pose.npz") as raw:
        assert str(raw["format"]) == FORMAT
        assert raw["t_ms"].dtype == np.float64
        assert raw["image_xy"].dtype == np.float32 and raw["image_xy"].shape == (5, 33, 2)
        assert raw["visibility"].dtype == np.float32
        assert raw["world_xyz"].shape == (5, 33, 3)
        assert raw["frame_size"].dtype == np.int32 and list(raw["frame_size"]) == [640, 480]
    back = load_pose(tmp_path / "pose.npz")
    np.testing.assert_array_equal(back.image_xy, pose.image_xy)
    assert back.extras == pose.extras and back.frame_size == (640, 480)
    assert not list(tmp_path.glob(".*part"))


def test_unknown_keys_are_ignored(tmp_path):
    pose = sample_pose()
    np.savez(
        tmp_path / "p.npz",
        format=FORMAT,
        t_ms=pose.t_ms,
        image_xy=pose.image_xy,
        visibility=pose.visibility,
        world_xyz=pose.world_xyz,
        frame_size=np.array([640, 480], np.int32),
        something_new=np.zeros(3),
    )
    assert load_pose(tmp_path / "p.npz").n_frames == 5


@pytest.mark.parametrize("fmt", ["formcam-pose/2", "other-tool/1"])
def test_unsupported_format_is_refused_in_one_sentence(tmp_path, fmt):
    pose = sample_pose()
    np.savez(
        tmp_path / "p.npz",
        format=fmt,
        t_ms=pose.t_ms,
        image_xy=pose.image_xy,
        visibility=pose.visibility,
        world_xyz=pose.world_xyz,
        frame_size=np.array([640, 480], np.int32),
    )
    with pytest.raises(UnreadableInputError, match="does not support"):
        load_pose(tmp_path / "p.npz")


def test_not_a_pose_file(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(UnreadableInputError):
        load_pose(tmp_path / "junk.npz")
    with pytest.raises(UnreadableInputError):
        load_pose(tmp_path / "missing.npz")
