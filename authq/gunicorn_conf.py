"""gunicorn's settings for authq (`gunicorn -c python:authq.gunicorn_conf authq.wsgi`).

The access log names the address, method, path, status, size, time and request id; never
the query string or the referrer, and never a patient's MRN (authq/lib/phi_logs.py).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from gunicorn.glogging import Logger

from authq.lib.phi_logs import scrub_path, scrub_request_line

if TYPE_CHECKING:
    from gunicorn.glogging import _AtomsDict  # the stubs' name for the atoms' TypedDict
    from gunicorn.http import Request
    from gunicorn.http.wsgi import Response

bind = "0.0.0.0:8000"
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'


class ScrubbedLogger(Logger):
    """gunicorn's logger with the request's path scrubbed of patient identifiers."""

    def atoms(
        self,
        resp: Response,
        req: Request,
        environ: MutableMapping[str, Any],
        request_time: timedelta,
    ) -> _AtomsDict:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = scrub_request_line(atoms["r"])
        atoms["U"] = scrub_path(atoms["U"] or "")
        atoms["q"] = "-"
        atoms["f"] = "-"
        return atoms


logger_class = ScrubbedLogger
