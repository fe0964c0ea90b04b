"""Fuzzed files formcam reads back and fuzzed names (issue 22): the JSON shapes and names of ``test_bad_files.py``,
generated.

Whatever a report.json or a pose file's extras_json holds, ``formcam compare`` and
``formcam analyze --pose`` either work or refuse with one sentence on stderr and
exit 3, and write nothing when they refuse. Whatever a clip is called (markup,
formula starts, bytes that are not UTF-8), the terminal, HTML and CSV show it as
text. The video-level generators (truncated, bit-flipped, huge headers) are in
``tests/e2e/test_fuzz_inputs.py``.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from formcam.cli import app
from formcam.compare import compare_reports, comparison_html
from formcam.pose.posefile import save_pose
from formcam.synthetic.gait import make_gait
from formcam.text import FORMULA_STARTS, csv_cell, displayable

runner = CliRunner()
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: Any JSON value: nested lists and objects of numbers (huge, negative, fractional), text, true/false, null.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
#: Numbers JSON does not allow, as text to splice into a file.
BAD_NUMBERS = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])


def _paths(node, prefix=()):
    """Every path into a JSON value (object keys and list indices)."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _replaced(document, path, value):
    document = copy.deepcopy(document)
    if not path:
        return value
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return document


def one_sentence(result, code: int = 3) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("formcam: ") and lines[0].endswith("."), result.stderr


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """A synthetic runner's pose file and the report.json formcam wrote from it."""
    root = tmp_path_factory.mktemp("fuzz-files")
    pose = save_pose(make_gait(view="rear", duration_s=6, seed=5), root / "run.npz")
    result = runner.invoke(app, ["analyze", "--pose", str(pose), "--out", str(root / "a"), "-q", "--format", "json"])
    assert result.exit_code == 0, result.output
    return pose, json.loads((root / "a" / "report.json").read_text())


# --------------------------------------------------------------------------- #
# JSON shapes: report.json


@FUZZ
@given(data=st.data(), value=JSON_VALUES)
def test_compare_on_any_report_shape_works_or_refuses_in_one_sentence(analysed, data, value):
    _, report = analysed
    # Paths through no list: the events and per-step lists, hundreds of entries long, would crowd out the rest.
    paths = [p for p in _paths(report) if not any(isinstance(key, int) for key in p)]
    path = data.draw(st.sampled_from(paths), label="path")
    changed = _replaced(report, path, value)
    with tempfile.TemporaryDirectory(prefix="formcam-fuzz-") as folder:
        before, after, out = Path(folder) / "a.json", Path(folder) / "b.json", Path(folder) / "cmp"
        before.write_text(json.dumps(report))
        after.write_text(json.dumps(changed))
        result = runner.invoke(app, ["compare", str(before), str(after), "--out", str(out), "-q"])
        if result.exit_code == 0:
            json.loads((out / "compare.json").read_text())  # plain JSON: no NaN, no Infinity
        else:
            one_sentence(result)
            assert not out.exists()


@FUZZ
@given(data=st.data(), bad=BAD_NUMBERS)
def test_compare_refuses_numbers_json_does_not_allow_wherever_they_are(analysed, data, bad):
    _, report = analysed
    numbers = [p for p in _paths(report) if p and isinstance(_get(report, p), float)]
    path = data.draw(st.sampled_from(numbers), label="path")
    text = json.dumps(_replaced(report, path, 98765.4321)).replace("98765.4321", bad)
    with tempfile.TemporaryDirectory(prefix="formcam-fuzz-") as folder:
        (Path(folder) / "report.json").write_text(text)
        result = runner.invoke(app, ["compare", folder, folder, "--out", str(Path(folder) / "cmp")])
        one_sentence(result)
        assert not (Path(folder) / "cmp").exists()


def _get(node, path):
    for key in path:
        node = node[key]
    return node


# --------------------------------------------------------------------------- #
# JSON shapes: a pose file's extras_json


@FUZZ
@given(data=st.data(), value=JSON_VALUES)
def test_analyze_on_any_extras_shape_works_or_refuses_in_one_sentence(analysed, data, value):
    pose_path, report = analysed
    arrays = dict(np.load(pose_path, allow_pickle=False))
    extras = json.loads(str(arrays["extras_json"]))
    extras["video"] = {k: v for k, v in report["video"].items()}
    extras["capture_quality"] = {"n_samples": 0, "bars": {"top": 0, "bottom": 0, "left": 0, "right": 0}}
    path = data.draw(st.sampled_from([p for p in _paths(extras) if p[:1] != ("truth",)]), label="path")
    arrays["extras_json"] = np.array(json.dumps(_replaced(extras, path, value)))
    with tempfile.TemporaryDirectory(prefix="formcam-fuzz-") as folder:
        bad, out = Path(folder) / "pose.npz", Path(folder) / "out"
        np.savez(bad, **arrays)  # type: ignore[arg-type]
        result = runner.invoke(app, ["analyze", "--pose", str(bad), "--out", str(out), "-q", "--format", "json,csv"])
        if result.exit_code != 0:
            assert result.exit_code in (3, 4), result.output
            one_sentence(result, result.exit_code)
            assert not out.exists()


# --------------------------------------------------------------------------- #
# Names: markup, formula starts, bytes that are not UTF-8

NAMES = st.one_of(
    st.text(alphabet=st.sampled_from("[]/=+-@\t\r ab\\<>&\"'"), min_size=1, max_size=12),
    st.binary(min_size=1, max_size=12).map(os.fsdecode),
    st.sampled_from(["[/x]", "[bold]", "club[", "=2+5", '=HYPERLINK("x")', "-weird", "<script>"]),
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(name=NAMES)
def test_any_name_is_text_in_csv_and_html(name):
    cell = csv_cell(name)
    assert not cell.startswith(FORMULA_STARTS)
    cell.encode("utf-8")
    assert displayable(name).encode("utf-8")


@FUZZ
@given(name=NAMES.filter(lambda n: "/" not in n and "\x00" not in n and n not in (".", "..")))
def test_any_clip_name_reaches_the_terminal_and_compare_html_as_text(analysed, name):
    pose_path, report = analysed
    with tempfile.TemporaryDirectory(prefix="formcam-fuzz-") as folder:
        try:
            clip = Path(folder) / f"{name}.npz"
            clip.write_bytes(pose_path.read_bytes())
        except (OSError, ValueError):
            return  # a name this file system refuses
        out = Path(folder) / "out"
        result = runner.invoke(
            app, ["analyze", "--pose", str(clip), "--out", str(out), "--format", "json"], env={"COLUMNS": "2000"}
        )
        assert result.exit_code == 0, result.output
        assert displayable(str(out)) in result.output and "report.json" in result.output
    renamed = _replaced(report, ("video", "path"), f"/v/{name}.mp4")
    renamed = _replaced(renamed, ("metrics", "shoulder_dip_deg", "unit"), name)
    page = comparison_html(compare_reports(renamed, renamed))
    page.encode("utf-8")
    assert "<script>" not in page.split("</style>", 1)[1]
