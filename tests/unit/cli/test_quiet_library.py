"""The library prints nothing: rich lives only in formcam/cli, and analyze, batch and compare are silent."""

from __future__ import annotations

import ast
from pathlib import Path

import formcam
from formcam.batch import run_batch
from formcam.compare import compare
from formcam.pipeline import ALL_OUTPUTS, AnalysisOptions, analyze
from formcam.pose.posefile import save_pose
from formcam.synthetic.gait import make_gait

PACKAGE = Path(formcam.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (inside functions and ``if TYPE_CHECKING`` too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_the_command_line_imports_rich():
    offenders = [
        str(path.relative_to(PACKAGE.parent))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "cli" not in path.relative_to(PACKAGE).parts[:1]
        and any(name == "rich" or name.startswith("rich.") for name in imported_modules(path))
    ]
    assert offenders == []


def test_the_command_line_does_import_rich():  # the test above looks at the right files
    assert any(name.startswith("rich") for name in imported_modules(PACKAGE / "cli" / "terminal.py"))


def test_analyze_batch_and_compare_print_nothing(tmp_path, capfd):
    (tmp_path / "clips").mkdir()
    pose_path = save_pose(make_gait(view="rear", cadence_spm=170, duration_s=6, seed=3), tmp_path / "clips" / "run.npz")
    capfd.readouterr()
    # Default options (progress on, every output) and no callback: a notebook's call.
    first = analyze(pose_path, out_dir=tmp_path / "first")
    analyze(pose_path, out_dir=tmp_path / "second", options=AnalysisOptions(outputs=ALL_OUTPUTS))
    summary = run_batch([pose_path], tmp_path / "batch", engine="serial")
    result = compare(tmp_path / "first", tmp_path / "second")
    assert first.report["cadence_spm"]["value"] and summary.exit_code == 0 and result.changes
    assert capfd.readouterr() == ("", "")
