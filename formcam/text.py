"""Text from outside (file names, clip names, a report's words) made safe for where formcam writes it.

A file name need not be UTF-8 (Latin-1 names from old cameras, Windows
shares, ZIP files): Python carries its undecodable bytes as lone surrogates
(``os.fsdecode``), which no UTF-8 file can hold. A spreadsheet runs a CSV
cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula. Terminal markup
is escaped in :mod:`formcam.cli`, HTML where each page is built.
"""

from __future__ import annotations

__all__ = ["FORMULA_STARTS", "csv_cell", "displayable"]

#: What a spreadsheet takes as the start of a formula (OWASP's list: tab and carriage return as well).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def displayable(text: str) -> str:
    """``text`` with the bytes of a non-UTF-8 file name shown as U+FFFD (as file managers show them).

    Text without lone surrogates comes back unchanged; the original name stays
    recoverable where formcam keeps it (report.json's ``video.path`` holds
    the surrogates, as ``os.fsencode`` needs them).
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = text.encode("utf-8", "surrogateescape")  # a file name's undecodable bytes, back as bytes
        except UnicodeEncodeError:
            raw = text.encode("utf-8", "surrogatepass")  # other lone surrogates (from JSON's \\udXXX)
        return raw.decode("utf-8", "replace")
    return text


def csv_cell(value):
    """A CSV cell a spreadsheet will show as text: a leading apostrophe before what would start a formula.

    Numbers (and None) pass unchanged, so a negative number stays a number;
    text is also made :func:`displayable`.
    """
    if not isinstance(value, str):
        return value
    value = displayable(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value
