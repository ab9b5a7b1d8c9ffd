"""gunicorn's settings for authq (`gunicorn -c python:authq.gunicorn_conf authq.wsgi`).

The access log names the address, method, path, status, size, time and request id; never
the query string or the referrer, and never a patient's MRN (authq/lib/phi_logs.py).
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from authq.lib.phi_logs import scrub_path, scrub_request_line

bind = "0.0.0.0:8000"
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'


class ScrubbedLogger(Logger):
    """gunicorn's logger with the request's path scrubbed of patient identifiers."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = scrub_request_line(atoms["r"])
        atoms["U"] = scrub_path(atoms["U"] or "")
        atoms["q"] = "-"
        atoms["f"] = "-"
        return atoms


logger_class = ScrubbedLogger
