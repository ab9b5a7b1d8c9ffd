"""Production settings configure the SMTP mailer from AUTHQ_EMAIL_*, or refuse to start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRINT_MAILERS = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps(settings.MAILERS))"
)


def run_settings(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AUTHQ_EMAIL", "DJANGO_"))}
    base.update(
        DJANGO_SETTINGS_MODULE="authq.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="test-only-key-of-sufficient-length",
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://x@127.0.0.1/x"),
        REDIS_URL="redis://127.0.0.1:6379/9",
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", PRINT_MAILERS],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_reads_the_smtp_server_from_the_environment() -> None:
    done = run_settings(
        AUTHQ_EMAIL_HOST="smtp.clinic.example",
        AUTHQ_EMAIL_PORT="2525",
        AUTHQ_EMAIL_USER="authq",
        AUTHQ_EMAIL_PASSWORD="s3cret",
        AUTHQ_EMAIL_USE_TLS="true",
    )
    assert done.returncode == 0, done.stderr
    mailer = json.loads(done.stdout)["default"]
    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailer["OPTIONS"] == {
        "host": "smtp.clinic.example",
        "port": 2525,
        "username": "authq",
        "password": "s3cret",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 20,
    }


def test_implicit_tls_defaults_to_port_465() -> None:
    done = run_settings(
        AUTHQ_EMAIL_HOST="smtp.clinic.example", AUTHQ_EMAIL_USE_TLS="0", AUTHQ_EMAIL_USE_SSL="1"
    )
    assert done.returncode == 0, done.stderr
    options = json.loads(done.stdout)["default"]["OPTIONS"]
    assert (options["port"], options["use_ssl"], options["use_tls"]) == (465, True, False)


def test_production_without_a_mail_host_refuses_to_start() -> None:
    done = run_settings()
    assert done.returncode != 0
    assert "ImproperlyConfigured: AUTHQ_EMAIL_HOST is not set" in done.stderr


def test_a_bad_port_is_named() -> None:
    done = run_settings(AUTHQ_EMAIL_HOST="smtp.clinic.example", AUTHQ_EMAIL_PORT="99999")
    assert done.returncode != 0 and "AUTHQ_EMAIL_PORT must be a TCP port" in done.stderr
