"""How every ``formcam`` subcommand fails: one sentence on stderr and the documented exit code.

Errors are one sentence with the exit code of ``docs/exit-codes.md``
(:mod:`formcam.errors`); ``--debug`` shows the traceback as well.
"""

from __future__ import annotations

import signal
import traceback
from collections.abc import Callable, Sequence

import typer
from rich.console import Console
from rich.markup import escape
from typer._click.exceptions import NoSuchOption

from formcam.errors import FormcamError
from formcam.text import displayable

#: Exit code after Ctrl-C or SIGTERM.
EXIT_INTERRUPTED = 130
err_console = Console(stderr=True)


def _fail(message: str, code: int) -> typer.Exit:
    # A message quotes paths and clip names: shown as they are, never read as markup.
    err_console.print(f"[bold red]formcam:[/] {escape(displayable(message))}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def one_sentence_usage_error(error: typer.TyperException, args: Sequence[str]) -> int:
    """Print click's usage error as one sentence (not typer's boxed panel); return its exit code (2).

    An argument starting with ``-`` that is no option is most often a file
    name (``-weird.mp4``): the sentence says how to give it.
    """
    message = error.format_message().rstrip(".")
    context = getattr(error, "ctx", None)  # click's usage errors carry the command's context
    command = context.command_path if context is not None else "formcam"
    if isinstance(error, NoSuchOption):
        # -weird.mp4 reaches click as the short option -w; --x.mp4 as itself (a dot: a file name, not an option)
        name = next((a for a in args if a.startswith(error.option_name) and (a != error.option_name or "." in a)), None)
        hint = f"; to give a file whose name starts with '-', write ./{name}" if name else ""
        sentence = f"{message}{hint} (see {command} --help)."
    else:
        sentence = f"{message} (see {command} --help)."
    err_console.print(
        f"[bold red]formcam:[/] {escape(displayable(' '.join(sentence.split())))}", highlight=False, soft_wrap=True
    )
    return error.exit_code


def run_reporting_errors(action: Callable[[], None], *, debug: bool) -> None:
    """Run ``action()``; turn any failure into one line on stderr and an exit code."""
    try:
        action()
    except FormcamError as exc:
        if debug:
            traceback.print_exc()
        raise _fail(str(exc), exc.exit_code) from None
    except KeyboardInterrupt:
        raise _fail("Interrupted; no half-written output was left behind.", EXIT_INTERRUPTED) from None
    except Exception as exc:  # a bug, not a user error: still no traceback unless asked
        if debug:
            traceback.print_exc()
        message = f"Unexpected internal error ({type(exc).__name__}: {exc}); re-run with --debug and report it."
        raise _fail(message, 1) from None


def stop_on_sigterm() -> None:
    """Make SIGTERM (``timeout``, systemd, ``docker stop``, a cancelled CI job) stop formcam as Ctrl-C does.

    By default SIGTERM ends the process where it stands (exit 143, no message,
    half-written files left); raised as KeyboardInterrupt in the main thread it
    cancels the queued work, removes what was half-written and exits with
    :data:`EXIT_INTERRUPTED` and one sentence. Only the command line does this:
    a library must leave a program's signal handlers alone.
    """

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
