"""Keep patient identifiers out of request logs (access logs, runserver, django.request).

A request's query string can carry a patient's name (a search) or MRN (an API filter), and
the API addresses a patient by MRN in its path (`/api/v1/patients/<mrn>/`). Logs keep the
path with such segments replaced and never the query string.
"""

from __future__ import annotations

import logging
import re

# Path segments that are patient identifiers, by the collection they follow.
_PHI_SEGMENT = re.compile(r"(/api/v\d+/patients/)[^/?#]+")
_REQUEST_LINE = re.compile(r"^([A-Z]+) (\S+)( HTTP/[\d.]+)?$")


def scrub_path(path: str) -> str:
    """The path without its query string or fragment, MRN segments replaced."""
    bare = path.split("?", 1)[0].split("#", 1)[0]
    return _PHI_SEGMENT.sub(r"\1:mrn", bare)


def scrub_request_line(line: str) -> str:
    """`GET /path?q=... HTTP/1.1` with its path scrubbed; other text unchanged."""
    match = _REQUEST_LINE.match(line)
    if not match:
        return line
    method, target, protocol = match.groups()
    return f"{method} {scrub_path(target)}{protocol or ''}"


class ScrubRequestPaths(logging.Filter):
    """A logging filter for `django.server` and `django.request`: their arguments are the
    request line or path, which it scrubs; the record itself is always kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                scrub_request_line(scrub_path(a) if a.startswith("/") else a)
                if isinstance(a, str)
                else a
                for a in record.args
            )
        # Django's request logging also attaches the request; formatters must not use it.
        return True
