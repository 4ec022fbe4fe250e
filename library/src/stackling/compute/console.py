"""A server's console output as its tenants read it (nova's ``os-getConsoleOutput``).

The compute host hands back the end of the guest's serial console file, at most
``MAX_CONSOLE_BYTES`` (nova's libvirt driver keeps the last 100 KiB too); ``last_lines`` cuts that
to what ``openstack console log show --lines N`` shows.
"""

from __future__ import annotations

from stackling.errors import ValidationError

MAX_CONSOLE_BYTES = 100 * 1024


def checked_lines(lines: object) -> int | None:
    """``lines`` as given (None: all), or ValidationError naming the field."""
    if lines is None:
        return None
    if isinstance(lines, bool) or not isinstance(lines, int) or lines < 0:
        raise ValidationError("lines: expected a number of lines >= 0, got %r" % (lines,), field="lines")
    return lines


def last_lines(text: str, lines: int | None) -> str:
    """The last ``lines`` lines of ``text`` (all of it when None). Lines end at ``\\n`` only (a console
    holds ``\\r\\n``, escape sequences and form feeds that are no line breaks); a final ``\\n`` does
    not start another line."""
    if lines is None:
        return text
    if lines == 0:
        return ""
    body = text[:-1] if text.endswith("\n") else text
    start = len(body)
    while lines > 0:
        start = body.rfind("\n", 0, start)
        if start < 0:
            return text
        lines -= 1
    return text[start + 1 :]
