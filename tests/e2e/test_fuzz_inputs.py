"""Fuzzed inputs: truncated, bit-flipped, overwritten, zero-length, huge-dimension and non-video files.

Whatever bytes it is given, formcam either analyses them or refuses with
exactly one line on stderr, a documented exit code and no traceback. Two
levels, both with a bounded, derandomised number of examples:

* the decode stage alone (no model): :func:`probe_video` and
  :func:`iter_frames` either work or raise :class:`UnreadableInputError`;
* the command line, in this process, with the real model for the mutants that
  still decode (``e2e``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from formcam.cli import app
from formcam.errors import UnreadableInputError
from formcam.video.decode import iter_frames
from formcam.video.probe import probe_video
from tests.helpers.media import make_cfr_clip, need_ffmpeg, run_ffmpeg

#: Exit codes a bad file may get (docs/exit-codes.md); 1, an internal error, is never one of them.
DOCUMENTED = {0, 3, 4}

runner = CliRunner()


def _bases() -> dict[str, bytes]:
    """Two small clips of 16 pattern frames: the index at the end (as cameras write it) and at the start."""
    with tempfile.TemporaryDirectory(prefix="formcam-fuzz-") as folder:
        plain = make_cfr_clip(Path(folder) / "plain.mp4", 16, width=96, height=64).read_bytes()
        faststart = make_cfr_clip(Path(folder) / "fast.mp4", 16, width=96, height=64, faststart=True).read_bytes()
    return {"moov_at_end": plain, "faststart": faststart}


BASES = _bases()

#: One edit of a file's bytes, positions as fractions of its length.
MUTATIONS = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(
        st.just("flip"),
        st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)), min_size=1, max_size=40),
    ),
    st.tuples(st.just("overwrite"), st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=256)),
    st.tuples(st.just("cut_out"), st.floats(0, 1), st.floats(0, 0.3)),
)


def mutate(original: bytes, mutation) -> bytes:
    kind, *args = mutation
    data = bytearray(original)
    if kind == "truncate":
        return bytes(data[: int(len(data) * args[0])])
    if kind == "flip":
        for where, bit in args[0]:
            data[int(len(data) * where)] ^= 1 << bit
        return bytes(data)
    if kind == "overwrite":
        start = int(len(data) * args[0])
        data[start : start + len(args[1])] = args[1]
        return bytes(data)
    start = int(len(data) * args[0])
    return bytes(data[:start] + data[start + int(len(data) * args[1]) :])


def huge_sample_entry(original: bytes) -> bytes:
    """The MP4's avc1 sample entry claiming a 65535 x 65535 picture."""
    data = bytearray(original)
    entry = data.find(b"avc1", data.find(b"stsd"))
    data[entry + 28 : entry + 32] = b"\xff\xff\xff\xff"  # width, height after 24 bytes of fixed fields
    return bytes(data)


def huge_y4m() -> bytes:
    """A raw YUV4MPEG2 stream whose header claims 65535 x 65535 frames, with 2 KB behind it."""
    return b"YUV4MPEG2 W65535 H65535 F30:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(range(256)) * 8


def huge_png() -> bytes:
    """A PNG whose header claims 100000 x 100000 pixels."""
    ok, png = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))
    data = bytearray(png.tobytes())
    data[16:24] = (100_000).to_bytes(4, "big") * 2  # IHDR width and height
    return bytes(data)


def write(data: bytes, suffix: str = ".mp4") -> Path:
    handle, name = tempfile.mkstemp(suffix=suffix, prefix="formcam-fuzz-")
    with os.fdopen(handle, "wb") as fh:
        fh.write(data)
    return Path(name)


def decode_or_refuse(path: Path) -> None:
    """Probe and decode everything; the only error allowed is a one-sentence UnreadableInputError."""
    try:
        probe_video(path)
        with iter_frames(path) as frames:
            for frame in frames:
                assert frame.rgb.ndim == 3 and frame.rgb.shape[2] == 3
        assert frames.decode_error is None or "\n" not in frames.decode_error
    except UnreadableInputError as error:
        message = str(error)
        assert message.startswith(f"Cannot read {path.name}:") and message.endswith(".") and "\n" not in message


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(sorted(BASES)), mutation=MUTATIONS)
@example(base="moov_at_end", mutation=("truncate", 0.0))
@example(base="moov_at_end", mutation=("truncate", 0.5))
@example(base="faststart", mutation=("truncate", 0.5))
def test_decode_never_fails_other_than_clearly(base, mutation):
    path = write(mutate(BASES[base], mutation))
    try:
        decode_or_refuse(path)
    finally:
        path.unlink()


@pytest.mark.parametrize(
    "make, suffix", [(lambda: huge_sample_entry(BASES["faststart"]), ".mp4"), (huge_y4m, ".y4m"), (huge_png, ".png")]
)
def test_huge_dimension_headers_decode_or_refuse(make, suffix):
    path = write(make(), suffix)
    try:
        decode_or_refuse(path)
    finally:
        path.unlink()


# --------------------------------------------------------------------------- #
# The command line


def non_video_files() -> dict[str, bytes]:
    need_ffmpeg()
    with tempfile.TemporaryDirectory(prefix="formcam-fuzz-") as folder:
        for name in ("a.m4a", "a.wav"):
            run_ffmpeg("-f", "lavfi", "-i", "sine=duration=0.5", str(Path(folder) / name))
        audio = {suffix: (Path(folder) / f"a.{suffix}").read_bytes() for suffix in ("m4a", "wav")}
    ok, png = cv2.imencode(".png", np.full((48, 64, 3), 200, np.uint8))
    return {
        "empty": b"",
        "text": b"not a video\n" * 50,
        "json": b'{"schema_version": 1}',
        "png": png.tobytes(),
        "m4a": audio["m4a"],
        "wav": audio["wav"],
        "huge_y4m": huge_y4m(),
        "huge_png": huge_png(),
        "huge_mp4": huge_sample_entry(BASES["faststart"]),
    }


def assert_one_clear_line_or_analysed(path: Path, model_path: Path) -> int:
    """Run ``formcam analyze`` in this process; return the exit code after checking how it failed."""
    with tempfile.TemporaryDirectory(prefix="formcam-fuzz-out-") as folder:
        out = Path(folder) / "out"
        result = runner.invoke(
            app,
            ["analyze", str(path), "--out", str(out), "--no-video", "-q"],
            env={"FORMCAM_MODEL_DIR": str(model_path.parent)},
        )
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code in DOCUMENTED, (result.exit_code, result.output)
        assert "Traceback" not in result.output
        if result.exit_code:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("formcam: ") and lines[0].endswith("."), result.stderr
            assert not out.exists() or not any(out.iterdir())
    return result.exit_code


@pytest.mark.e2e
@pytest.mark.parametrize("kind", ["empty", "text", "json", "png", "m4a", "wav", "huge_y4m", "huge_png", "huge_mp4"])
def test_command_line_on_non_video_and_huge_headers(model_path, kind):
    path = write(non_video_files()[kind], ".mp4" if kind in ("empty", "text", "json") else f".{kind.split('_')[-1]}")
    try:
        assert assert_one_clear_line_or_analysed(path, model_path) in (3, 4)
    finally:
        path.unlink()


@pytest.mark.e2e
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(base=st.sampled_from(sorted(BASES)), mutation=MUTATIONS)
def test_command_line_on_mutated_clips(model_path, base, mutation):
    path = write(mutate(BASES[base], mutation))
    try:
        # The pattern frames hold nobody: a clip that still decodes is "nothing to analyse".
        assert assert_one_clear_line_or_analysed(path, model_path) in (3, 4)
    finally:
        path.unlink()
