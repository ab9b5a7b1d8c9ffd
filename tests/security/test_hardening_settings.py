"""The lockout, token and rate settings refuse a malformed or out-of-bounds value at start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("AUTHQ_API_RATE", "fast", "the api rate must be N/second"),
        ("AUTHQ_EXPORT_RATE", "0/hour", "the export rate must be N/second"),
        ("AUTHQ_LOCKOUT_FAILURES", "0", "AUTHQ_LOCKOUT_FAILURES must be 1 to 100"),
        ("AUTHQ_LOCKOUT_MINUTES", "2000", "AUTHQ_LOCKOUT_MINUTES 1 to 1440"),
        ("AUTHQ_API_TOKEN_DAYS", "1000", "AUTHQ_API_TOKEN_DAYS must be 1 to 365"),
    ],
)
def test_a_bad_value_stops_authq_naming_it(variable: str, value: str, message: str) -> None:
    env = {**os.environ, "DJANGO_DEBUG": "1", variable: value}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "authq.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr
