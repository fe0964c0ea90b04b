"""formcam compare: each metric's change, and whether it is larger than the combined expected error."""

from __future__ import annotations

import copy
import json
import math

import pytest
from typer.testing import CliRunner

from formcam.cli import app
from formcam.compare import compare, compare_reports, write_comparison
from formcam.errors import OutputExistsError, UnreadableInputError
from formcam.pose.posefile import save_pose
from formcam.synthetic.gait import make_gait

runner = CliRunner()


def metric(value, *, error="±3° per step", unit="deg", flag="ok", left=None, right=None):
    return {
        "label": "Pelvic drop",
        "value": value,
        "unit": unit,
        "left": left,
        "right": right,
        "n": 20,
        "valid_for_view": True,
        "flag": flag,
        "reference": "",
        "reason": None if value is not None else "few steps",
        "expected_error": error,
        "per_step": [],
    }


def report(pelvic, *, cadence=170.0, view="rear", cm=None, version="0.1.0", running=True, forced=False):
    metrics = {"pelvic_drop_deg": pelvic}
    if cm is not None:
        metrics["vertical_oscillation_cm"] = cm
    return {
        "schema_version": 1,
        "formcam_version": version,
        "video": {"path": "/v/run.mp4"},
        "view": {"label": view},
        "runner": {"height_cm": None, "is_running": running, "forced": forced},
        "cadence_spm": {"value": cadence, "n_steps": 20, "confidence": 0.9},
        "metrics": metrics,
    }


def on_disk(content: dict) -> dict:
    """``content`` with every key report.schema.json requires (compare reads only valid reports from disk)."""
    from formcam.report.json_report import report_schema

    full = copy.deepcopy(content)
    full["video"] = {
        "width": 640, "height": 480, "fps": 60.0, "frames": 600, "duration_s": 10.0, "rotation_deg": 0,
        "slow_motion_factor": 1.0, **full["video"],
    }  # fmt: skip
    full["view"] = {"confidence": 0.9, "direction": None, **full["view"]}
    full["runner"] = {"detected_fraction": 1.0, **{k: v for k, v in full["runner"].items() if v is not None}}
    for name in report_schema()["properties"]["metrics"]["required"]:
        full["metrics"].setdefault(name, metric(None))
    full.update(events=[], quality=[])
    return full


def test_change_beyond_the_combined_error_counts_and_a_smaller_one_does_not():
    result = compare_reports(report(metric(5.0)), report(metric(10.0, flag="high"), cadence=171.0))
    cadence, pelvic = result.changes
    assert pelvic.change == pytest.approx(5.0)
    assert pelvic.combined_error == pytest.approx(math.hypot(3, 3))  # 4.24°
    assert pelvic.beyond_error is True and (pelvic.flag_before, pelvic.flag_after) == ("ok", "high")
    assert cadence.name == "cadence_spm" and cadence.change == pytest.approx(1.0) and cadence.beyond_error is False

    small = compare_reports(report(metric(5.0)), report(metric(9.0)))
    assert small.changes[1].beyond_error is False  # 4° < 4.24°


def test_ranges_take_the_upper_bound_and_relative_errors_scale_with_the_value():
    result = compare_reports(
        report(metric(10.0, error="±2-4°"), cm=metric(8.0, error="±15 %", unit="cm")),
        report(metric(15.0, error="±2-4°"), cm=metric(10.0, error="±15 %", unit="cm")),
    )
    by_name = {c.name: c for c in result.changes}
    assert by_name["pelvic_drop_deg"].combined_error == pytest.approx(math.hypot(4, 4))
    assert by_name["vertical_oscillation_cm"].combined_error == pytest.approx(math.hypot(1.2, 1.5))


def test_the_whole_expected_error_counts_the_synthetic_and_the_real_landmark_parts():
    text = "±1.5° on synthetic gaits with pose-model-like noise (95 % of clips); real landmarks add: ±3° per step"
    result = compare_reports(report(metric(5.0, error=text)), report(metric(10.0, error=text)))
    pelvic = result.changes[1]
    assert pelvic.expected_error_before == pytest.approx(math.hypot(1.5, 3.0))
    assert pelvic.combined_error == pytest.approx(math.hypot(1.5, 3.0) * math.sqrt(2))  # 4.74°: 5° counts
    assert pelvic.beyond_error is True
    assert (
        compare_reports(report(metric(5.0, error=text)), report(metric(9.5, error=text))).changes[1].beyond_error
        is False
    )


@pytest.mark.parametrize(
    "before, after, why",
    [
        (dict(running=False), {}, "before: not shown to be running"),
        ({}, dict(forced=True), "after: analysed only with --force"),
    ],
)
def test_a_clip_not_shown_to_be_running_is_never_a_real_change(before, after, why):
    result = compare_reports(report(metric(2.0), cadence=61.0, **before), report(metric(12.0), cadence=178.0, **after))
    for change in result.changes:
        assert change.change is not None and change.beyond_error is None and why in change.note


def test_a_value_on_fewer_steps_than_its_metric_needs_is_never_a_real_change():
    few = metric(2.0)
    few["n"] = 9  # pelvic drop needs 7 steps a side
    before = report(few, cadence=61.0)
    before["cadence_spm"]["n_steps"] = 2
    cadence, pelvic = compare_reports(before, report(metric(12.0), cadence=178.0)).changes
    assert cadence.beyond_error is None and "rests on 2 steps, fewer than the 4" in cadence.note
    assert pelvic.beyond_error is None and "rests on 9 steps, fewer than the 14" in pelvic.note


def test_an_unsided_metric_needs_its_whole_minimum_in_all():
    few = metric(12.0, unit="% trunk")
    few["n"] = 5  # head forward is unsided: 3 steps a side, so 6 in all
    before, after = report(metric(5.0)), report(metric(5.0))
    before["metrics"]["head_forward_pct"], after["metrics"]["head_forward_pct"] = few, metric(14.0, unit="% trunk")
    change = next(c for c in compare_reports(before, after).changes if c.name == "head_forward_pct")
    assert change.beyond_error is None and "rests on 5 steps, fewer than the 6" in change.note


def test_a_metric_measured_only_once_says_so_and_views_that_differ_are_warned_about():
    result = compare_reports(report(metric(None)), report(metric(6.0), view="side", version="0.2.0"))
    pelvic = result.changes[1]
    assert pelvic.change is None and pelvic.beyond_error is None and "not measured before" in pelvic.note
    assert any("different views" in w for w in result.warnings)
    assert any("formcam versions" in w for w in result.warnings)


def test_compare_reads_folders_and_files_and_refuses_to_overwrite(tmp_path):
    for name, value in (("a", 5.0), ("b", 11.0)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "report.json").write_text(json.dumps(on_disk(report(metric(value)))))
    result = compare(tmp_path / "a", tmp_path / "b" / "report.json")
    assert result.changes[1].beyond_error is True
    files = write_comparison(result, tmp_path / "cmp")
    assert [f.name for f in files] == ["compare.json", "compare.html"]
    data = json.loads(files[0].read_text())
    assert data["format"] == "formcam-compare/1"
    assert data["metrics"]["pelvic_drop_deg"]["change"] == pytest.approx(6.0)
    assert data["metrics"]["pelvic_drop_deg"]["beyond_error"] is True
    assert "default-src 'none'" in files[1].read_text()
    with pytest.raises(OutputExistsError):
        write_comparison(result, tmp_path / "cmp")
    with pytest.raises(UnreadableInputError):
        compare(tmp_path / "nowhere", tmp_path / "b")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UnreadableInputError, match="no report.json"):
        compare(tmp_path / "empty", tmp_path / "b")


@pytest.fixture(scope="module")
def two_analyses(tmp_path_factory):
    """Two synthetic rear-view runs, before (pelvic drop 9°) and after (4°) a block of hip work."""
    root = tmp_path_factory.mktemp("cmp")
    for name, drop in (("before", 9), ("after", 4)):
        pose = root / f"{name}.npz"
        gait = make_gait(view="rear", cadence_spm=168, pelvic_drop_deg=drop, duration_s=8, seed=3, markers=True)
        save_pose(gait, pose)
        result = runner.invoke(
            app, ["analyze", "--pose", str(pose), "--out", str(root / name), "-q", "--format", "json"]
        )
        assert result.exit_code == 0, result.output
    return root


def test_compare_command_prints_the_table_and_writes_both_files(two_analyses, tmp_path):
    out = tmp_path / "cmp"
    result = runner.invoke(
        app,
        ["compare", str(two_analyses / "before"), str(two_analyses / "after"), "--out", str(out)],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    assert "Pelvic drop" in result.output and "changed" in result.output
    data = json.loads((out / "compare.json").read_text())
    pelvic = data["metrics"]["pelvic_drop_deg"]
    assert pelvic["change"] == pytest.approx(-5, abs=1) and pelvic["beyond_error"] is True
    assert data["metrics"]["shoulder_dip_deg"]["beyond_error"] is False  # both 0
    again = runner.invoke(
        app, ["compare", str(two_analyses / "before"), str(two_analyses / "after"), "--out", str(out)]
    )
    assert again.exit_code == 2 and "--overwrite" in again.output
    assert (
        runner.invoke(
            app,
            [
                "compare",
                str(two_analyses / "before"),
                str(two_analyses / "after"),
                "--out",
                str(out),
                "--overwrite",
                "-q",
            ],
        ).exit_code
        == 0
    )


def test_compare_command_default_folder_is_new_and_named_after_both(two_analyses, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["compare", str(two_analyses / "before"), str(two_analyses / "after"), "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "formcam-out" / "compare-before-vs-after" / "compare.html").is_file()


def test_compare_command_with_a_missing_input_exits_3(tmp_path):
    result = runner.invoke(app, ["compare", str(tmp_path / "x"), str(tmp_path / "y")])
    assert result.exit_code == 3 and "Traceback" not in result.output


def test_comparison_json_is_plain_json():
    result = compare_reports(report(metric(5.0)), report(copy.deepcopy(metric(6.0))))
    json.dumps(result.to_json(), allow_nan=False)


def test_pelvic_drop_from_markers_needs_its_smallest_detectable_difference():
    text = "±1.5° measured from markers (rendered rear-view runners with stickers)"
    small = compare_reports(report(metric(5.0, error=text)), report(metric(7.5, error=text))).changes[1]
    assert small.combined_error == pytest.approx(2.8)  # not sqrt(2) x 1.5° = 2.1°: Dingenen et al. 2018
    assert small.beyond_error is False
    large = compare_reports(report(metric(5.0, error=text)), report(metric(8.0, error=text))).changes[1]
    assert large.beyond_error is True
