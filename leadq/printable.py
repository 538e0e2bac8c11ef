"""Text from input files made safe to print on a terminal or into a log.

A value in an uploaded file (a job title, a lead id, a header) may hold terminal escape
sequences: ``ESC [2J`` clears the screen, ``ESC ]0;...BEL`` retitles the window, and a
carriage return or a bidi override hides what follows. Reports print such values: their
control characters are written escaped (``\\x1b``), as error messages write them.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL (not the newline and tab a report is laid out with), and the bidi
# overrides and isolates that reorder what follows them.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with its control characters escaped (``"a\\x1b[2J"`` for ``"a" + ESC + "[2J"``)."""
    if _UNSAFE.search(text) is None:  # nearly always: one scan
        return text
    return _UNSAFE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)
