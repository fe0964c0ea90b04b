"""Errors a user can meet, each with the exit code the command line returns.

The exit codes are part of formcam's contract (``docs/exit-codes.md``):

====  ==========================================================
0     analysed
2     usage error (bad option, conflicting options, missing model)
3     unreadable or unsupported input
4     readable but nothing to analyse (no runner, too short, not running)
5     the outputs cannot be written (disk full, no permission to write)
130   interrupted (Ctrl-C, or SIGTERM)
====  ==========================================================

Every error's message is one plain sentence that says what happened and, where
the user can do something, what to do.
"""

from __future__ import annotations


class FormcamError(Exception):
    """Base class: a failure that the command line reports in one sentence."""

    exit_code = 1


class UsageError(FormcamError):
    """The command was asked for something it cannot do as asked."""

    exit_code = 2


class ModelNotFoundError(UsageError):
    """No pose model file could be found or fetched."""


class UnreadableInputError(FormcamError):
    """The input cannot be opened, decoded, or is in an unsupported format."""

    exit_code = 3


class NothingToAnalyseError(FormcamError):
    """The input is readable but holds nothing formcam can measure."""

    exit_code = 4


class OutputExistsError(UsageError):
    """The output would replace files the user already has."""


class OutputWriteError(FormcamError):
    """The outputs cannot be written (disk full, read-only folder, no permission)."""

    exit_code = 5


def os_reason(error: Exception) -> str:
    """Why an operating-system (or FFmpeg) call failed, to follow a colon in a sentence.

    For example ``no space left on device``.
    """
    reason = getattr(error, "strerror", None) or str(error)
    return reason[0].lower() + reason[1:] if reason else type(error).__name__


def cannot_write_outputs(folder, error: Exception) -> str:
    """The one sentence for ``error`` writing an analysis's outputs into ``folder``."""
    return f"Cannot write the outputs into {folder}: {os_reason(error)}."
