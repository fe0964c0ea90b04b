"""Help text and the global flags: what a new user types first."""

import re

import pytest
from typer.testing import CliRunner

from formcam import __version__
from formcam.cli import app

runner = CliRunner()


def help_of(*args: str) -> str:
    result = runner.invoke(app, [*args, "-h"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def test_version_flag_prints_the_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"formcam {__version__}"


@pytest.mark.parametrize("command", [(), ("analyze",), ("batch",), ("compare",), ("demo",), ("models",)])
def test_short_help_works_and_reads_cleanly(command):
    text = help_of(*command)
    assert "Usage: formcam" in text
    assert "<bool>" not in text  # a plain flag takes no value
    assert not re.search(r"\s[.,;:](\s|$)", text, re.M), "a space before punctuation"
    assert max(len(line) for line in text.splitlines()) <= 80


def test_help_keeps_bracketed_defaults_written_in_the_help_text():
    text = " ".join(help_of("analyze").split())
    assert "[default: measured from the runner]." in text
    assert "--force Analyse even" in text  # the flag, then its help, with no placeholder between
