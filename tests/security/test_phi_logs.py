"""S27: no patient name or MRN reaches a request log: gunicorn's access log (production)
and runserver's (make run), each run as a real server and read back."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.servers import ROOT, free_port, get, subprocess_env, wait_until_up

pytestmark = pytest.mark.django_db

NAME, MRN = "Zzsentinelname", "MRN-SENTINEL-77"
# A search by name, an API filter by MRN, and the API's patient address by MRN.
PATHS = [
    f"/scheduler/?q={NAME}%2C+Ann",
    f"/api/v1/coverages/?patient={MRN}",
    f"/api/v1/patients/{MRN}/",
    f"/no-such-page/?q={NAME}",
]


def _serve_and_log(command: list[str], port: int, log: Path) -> str:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=subprocess_env(DJANGO_DEBUG="1"), stdout=out, stderr=out
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/accounts/login/", proc)
            statuses = [get(f"http://127.0.0.1:{port}{path}") for path in PATHS]
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = log.read_text()
    # The requests were answered (and logged): sign-in page, 401s, 404.
    assert statuses == [200, 401, 401, 404], statuses
    return text


def _assert_scrubbed(text: str) -> None:
    assert NAME not in text and MRN not in text, text
    assert "/api/v1/patients/:mrn/" in text, text
    assert "/api/v1/coverages/" in text and "/no-such-page/" in text, text


def test_gunicorn_access_log_keeps_no_query_string_or_mrn(tmp_path: Path) -> None:
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "-c", "python:authq.gunicorn_conf",
        "--bind", f"127.0.0.1:{port}", "--workers", "1", "authq.wsgi",
    ]  # fmt: skip
    text = _serve_and_log(command, port, tmp_path / "gunicorn.log")
    _assert_scrubbed(text)
    # Each access line carries the request id the audit records.
    assert re.search(r'"GET /api/v1/patients/:mrn/ HTTP/1.1" 401 .* rid=[0-9a-f]{32}', text), text


def test_runserver_log_keeps_no_query_string_or_mrn(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    text = _serve_and_log(command, port, tmp_path / "runserver.log")
    _assert_scrubbed(text)
    assert '"GET /scheduler/ HTTP/1.1" 302' in text, text
