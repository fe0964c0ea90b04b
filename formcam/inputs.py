"""What formcam accepts as an input file: a regular file, checked before it is opened.

Opening a FIFO blocks until something writes into it (for ever, and Ctrl-C
cannot stop an ``open`` stuck in the kernel); a character device such as
``/dev/zero`` or ``/dev/urandom`` never ends. So every input (a video, a pose
file, a report) is ``stat``-ed first, following links, and refused unless it
is a regular file.
"""

from __future__ import annotations

import os
import stat

from formcam.errors import UnreadableInputError, os_reason


def require_regular_file(path: str | os.PathLike) -> None:
    """Raise :class:`UnreadableInputError` (exit 3) unless ``path`` is a regular file (or a link to one).

    Never opens ``path``.
    """
    name = os.path.basename(os.fspath(path)) or os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise UnreadableInputError(f"Cannot read {name}: there is no such file.") from None
    except OSError as error:
        raise UnreadableInputError(f"Cannot read {name}: {os_reason(error)}.") from None
    if stat.S_ISDIR(mode):
        raise UnreadableInputError(f"Cannot read {name}: it is a folder, not a file.")
    if not stat.S_ISREG(mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device or socket"
        raise UnreadableInputError(f"Cannot read {name}: it is {kind}, not a regular file.")
