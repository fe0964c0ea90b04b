"""The quality warning codes: one list in formcam/quality/warnings.py, all documented, all emitted through it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import formcam
from formcam.quality.warnings import CODES, Code, QualityWarning

PACKAGE = Path(formcam.__file__).parent
DOC = PACKAGE.parent / "docs" / "bad-inputs.md"


def documented_codes() -> list[str]:
    """The codes in the first column of docs/bad-inputs.md's table of warning codes."""
    section = DOC.read_text(encoding="utf-8").split("## The warning codes", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)


def test_every_code_is_documented_and_the_docs_name_no_other():
    documented = documented_codes()
    assert len(documented) == len(set(documented))
    assert set(CODES) - set(documented) == set(), "codes missing from docs/bad-inputs.md"
    assert set(documented) - set(CODES) == set(), "docs/bad-inputs.md names codes formcam does not have"


def test_the_constants_are_the_codes():
    constants = {name: value for name, value in vars(Code).items() if not name.startswith("_")}
    assert sorted(constants.values()) == sorted(CODES) and len(set(CODES)) == len(CODES) == 20
    assert all(value == name.lower() for name, value in constants.items())


def test_report_json_form():
    warning = QualityWarning(Code.LETTERBOX, "Black bars.")
    assert warning.to_json() == {"code": "letterbox", "message": "Black bars."}
    assert list(warning.to_json()) == ["code", "message"]
    assert QualityWarning.from_json(warning.to_json()) == warning


def test_no_module_builds_a_warning_as_a_dict():
    """Every emitter uses QualityWarning: no dict literal with a "code" key outside quality/warnings.py."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "quality" / "warnings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "code" for k in node.keys):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert offenders == []
