"""`make bench`: authq at a large practice network, each workload beside its floor.

Builds (or reuses) a 50,000-patient practice with seed_demo in a database of its own
(DATABASE_URL's server, database BENCH_DATABASE, default authq_bench), runs each
workload a bounded number of times, prints medians and 95th percentiles, writes
bench/results.json and the table in docs/performance.md. Load goes to 127.0.0.1 only.

    python bench/run.py [--patients N] [--only scan,reevaluate,...] [--no-docs]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
SEED = 2026
# Work items the bench adds to reach 100,000 open ones carry this last_seen_as_of, so
# the next run can remove them (the scan would otherwise resolve them one by one).
BENCH_ITEM_MARK = dt.date(1999, 12, 31)
BENCH_USERS = "bench-"
APPOINTMENT_PREFIX = "bench-load-"
WORKERS = 4  # gunicorn sync workers on 2 cores


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --- the database -------------------------------------------------------------------


def bench_urls(database: str) -> tuple[str, str]:
    """(DATABASE_URL of the bench database, REDIS_URL on db 15 of the same server)."""
    db = urlsplit(os.environ["DATABASE_URL"])
    redis = urlsplit(os.environ["REDIS_URL"])
    return (
        urlunsplit(db._replace(path=f"/{database}")),
        urlunsplit(redis._replace(path="/15")),
    )


def admin_connection() -> Any:
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
    return psycopg.connect(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def prepare_database(name: str, params: dict[str, Any]) -> bool:
    """Create the bench database if missing, or anew when it was seeded otherwise.
    True when it must be seeded."""
    import psycopg

    with admin_connection() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            info = conn.info
            try:
                with psycopg.connect(
                    host=info.host, port=info.port, user=info.user,
                    password=info.password or None, dbname=name,
                ) as bench:  # fmt: skip
                    row = bench.execute("SELECT params FROM bench_marker").fetchone()
            except psycopg.Error:
                row = None
            marker = json.loads(row[0]) if row else None
            if marker and all(marker.get(k) == v for k, v in params.items()):
                say(f"reusing database {name} (seeded {marker})")
                return False
            say(f"database {name} holds another practice: dropping it")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        say(f"creating database {name}")
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def seed(params: dict[str, Any]) -> None:
    from django.core.management import call_command
    from django.db import connection

    say(f"seeding {params['patients']:,} patients (about a minute)")
    started = time.perf_counter()
    call_command("seed_demo", patients=params["patients"], seed=params["seed"])
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_marker (params text)")
        cursor.execute("DELETE FROM bench_marker")
        cursor.execute(
            "INSERT INTO bench_marker VALUES (%s)",
            [json.dumps({**params, "as_of": str(dt.datetime.now(dt.UTC).date())})],
        )
    say(f"seeded in {time.perf_counter() - started:.0f} s")


def sql(statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def clean_previous_runs() -> None:
    """Undo what an earlier bench run left: added items, claims, loaded appointments."""
    from django.contrib.auth.models import User

    from worklists.models import WorkItem, WorkItemEvent

    bench_users = list(
        User.objects.filter(username__startswith=BENCH_USERS).values_list("id", flat=True)
    )
    WorkItemEvent.objects.filter(actor_id__in=bench_users).delete()
    WorkItem.objects.filter(assignee_id__in=bench_users).update(status="open", assignee=None)
    marked = "SELECT id FROM worklists_workitem WHERE last_seen_as_of = %s"
    sql(f"DELETE FROM worklists_workitemevent WHERE work_item_id IN ({marked})", [BENCH_ITEM_MARK])
    sql("DELETE FROM worklists_workitem WHERE last_seen_as_of = %s", [BENCH_ITEM_MARK])
    sql("DELETE FROM patients_appointment WHERE external_id LIKE %s", [APPOINTMENT_PREFIX + "%"])


# --- figures ------------------------------------------------------------------------


def summary(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2), "p95_ms": round(p95, 2)}


class PeakRss:
    """The process's resident memory, sampled every 20 ms: the peak above the start."""

    def __init__(self) -> None:
        import psutil

        self.process = psutil.Process()
        self.base = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def delta_mb(self) -> float:
        return round((self.peak - self.base) / 2**20, 1)


# --- in-process workloads -----------------------------------------------------------

_FLOOR_SQL = """
SELECT 'o', o.id, o.patient_id, o.service_category, o.code, o.priority,
       o.visits_ordered::text, o.auth_requested_at, NULL::date, NULL::date
FROM patients_order o
UNION ALL
SELECT 'a', a.order_id, a.id, a.status, NULL, NULL, NULL, NULL,
       (a.start AT TIME ZONE %(tz)s)::date, NULL
FROM patients_appointment a
WHERE (a.status = 'booked' AND a.start >= %(lo)s AND a.start < %(hi)s)
   OR a.status IN ('arrived', 'checked-in', 'fulfilled')
UNION ALL
SELECT 'z', z.order_id, z.id, z.status, z.auth_number, z.approved_visits::text,
       z.expedited::text, coalesce(z.submitted_at, z.decided_at), z.start_date, z.end_date
FROM payers_authorization z WHERE z.status NOT IN ('draft', 'cancelled')
UNION ALL
SELECT 'c', c.patient_id, c.id, c.payer_id::text, c.plan, NULL, NULL, NULL, c.start, c."end"
FROM patients_coverage c WHERE c.rank = 1
"""


def bench_scan(runs: int) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection

    from authq.lib import clock
    from worklists.scan import apply
    from worklists.scan import runs as scan_runs
    from worklists.scan.rules import RuleBook

    as_of = clock.today()
    window_end = as_of + dt.timedelta(days=settings.AUTHQ_HORIZON_DAYS)
    params = {
        "tz": settings.AUTHQ_TIME_ZONE,
        "lo": clock.day_start(as_of),
        "hi": clock.day_start(window_end + dt.timedelta(days=1)),
    }
    say("full scan: one untimed run to reach the steady state")
    scan_runs.run_scan(as_of=as_of, trigger="bench")
    # A fresh practice's first scan creates the items: let the planner know they exist.
    sql("ANALYZE worklists_workitem")
    floors, times, rows = [], [], 0
    for i in range(runs):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(_FLOOR_SQL, params)
            rows = len(cursor.fetchall())
        floors.append(time.perf_counter() - started)
        started = time.perf_counter()
        with PeakRss() as rss:
            run = scan_runs.run_scan(as_of=as_of, trigger="bench")
        times.append(time.perf_counter() - started)
        assert run is not None, "another scan held the lock"
        say(f"full scan {i + 1}/{runs}: {times[-1]:.1f} s (floor {floors[-1]:.1f} s)")
    # What one chunk allocates, in Python objects: memory is bounded by the chunk.
    first_ids = [r[0] for r in sql("SELECT id FROM patients_order ORDER BY id LIMIT %s",
                                   [settings.AUTHQ_SCAN_CHUNK_SIZE])]  # fmt: skip
    rules = RuleBook.load()
    tracemalloc.start()
    apply.apply_findings(first_ids, as_of, rules)
    _, chunk_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "scan": summary(times),
        "floor": summary(floors),
        "ratio_p50": round(statistics.median(times) / statistics.median(floors), 2),
        "orders": run.orders_scanned,
        "input_rows": rows,
        "chunk_size": settings.AUTHQ_SCAN_CHUNK_SIZE,
        "peak_rss_delta_mb": rss.delta_mb,
        "chunk_peak_python_mb": round(chunk_peak / 2**20, 1),
    }


def bench_reevaluate(count: int) -> dict[str, Any]:
    from authq.lib import clock
    from worklists.models import WorkItem
    from worklists.scan import apply, load

    rng = random.Random(SEED)
    ids = list(WorkItem.objects.open().values_list("order_id", flat=True).distinct()[:5000])
    sample = rng.sample(ids, min(count, len(ids)))
    as_of = clock.today()
    window_end = as_of + dt.timedelta(days=30)
    times, floors = [], []
    for order_id in sample:
        started = time.perf_counter()
        load.load_orders([order_id], as_of, window_end)
        floors.append(time.perf_counter() - started)
        started = time.perf_counter()
        apply.reevaluate_order(order_id, as_of=as_of)
        times.append(time.perf_counter() - started)
    return {"reevaluate": summary(times), "floor": summary(floors)}


# The bench practice's schedule as an export file, under keys of its own (IMPORT_PREFIX):
# records authq has not seen, imported into the same tables as the practice's.
IMPORT_PREFIX = "BI-"
_EXPORT_SQL = """
SELECT %(p)s || pt.mrn, pt.last_name, pt.first_name, pt.birth_date, pt.phone, pt.email,
       py.code, c.member_id, c.plan, c.start, c."end",
       %(p)s || o.external_id, o.service_category, o.code,
       array_to_string(o.diagnosis_codes, ';'), o.priority, o.visits_ordered,
       o.ordering_provider, %(p)s || a.external_id, a.start, a.status, a.department
FROM (SELECT * FROM patients_appointment ORDER BY id LIMIT %(rows)s) a
JOIN patients_order o ON o.id = a.order_id
JOIN patients_patient pt ON pt.id = o.patient_id
LEFT JOIN LATERAL (SELECT * FROM patients_coverage c WHERE c.patient_id = pt.id AND c.rank = 1
                   ORDER BY c.start DESC LIMIT 1) c ON true
LEFT JOIN payers_payer py ON py.id = c.payer_id
ORDER BY a.id
"""
_EXPORT_HEADER = [
    "mrn", "last_name", "first_name", "birth_date", "phone", "email", "payer_code",
    "member_id", "plan", "coverage_start", "coverage_end", "order_id", "service_category",
    "code", "diagnosis_codes", "priority", "visits_ordered", "ordering_provider",
    "appointment_id", "start", "status", "department",
]  # fmt: skip


def _forget_imported() -> None:
    """Remove what an earlier import bench created (and its runs)."""
    from intake.models import ImportRun
    from patients.models import Patient

    ImportRun.objects.filter(profile__name="bench-import").delete()
    # In slices: one delete of 100,000 rows' records passes more parameters than a
    # statement may have.
    ids = list(Patient.objects.filter(mrn__startswith=IMPORT_PREFIX).values_list("pk", flat=True))
    for start in range(0, len(ids), 2_000):
        Patient.objects.filter(pk__in=ids[start : start + 2_000]).delete()


def _copy_floor(path: Path) -> float:
    """COPY of the file's records into the same tables (indexes, audit triggers), rolled
    back: what writing these rows costs the database at the least."""
    import csv

    from django.db import connection, transaction

    patients, orders, appointments = {}, {}, []
    with path.open(newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            patients[r["mrn"]] = r
            orders[r["order_id"]] = r
            appointments.append(r)
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy("COPY patients_patient (mrn, last_name, first_name, birth_date, phone,"
                          " email, created_at, updated_at) FROM STDIN") as copy:  # fmt: skip
                for r in patients.values():
                    copy.write_row((r["mrn"], r["last_name"], r["first_name"], r["birth_date"],
                                    r["phone"], r["email"], now, now))  # fmt: skip
            cursor.execute("CREATE TEMP TABLE bench_keys (mrn text, order_id text) ON COMMIT DROP")
            with raw.copy("COPY bench_keys FROM STDIN") as copy:
                for r in orders.values():
                    copy.write_row((r["mrn"], r["order_id"]))
            cursor.execute(
                "INSERT INTO patients_order (external_id, patient_id, service_category, code,"
                " diagnosis_codes, priority, ordering_provider, created_at, updated_at)"
                " SELECT k.order_id, p.id, 'physical_therapy', '97110', '{}', 'routine', '',"
                " now(), now() FROM bench_keys k JOIN patients_patient p ON p.mrn = k.mrn"
            )
            cursor.execute("CREATE TEMP TABLE bench_appts (id text, order_id text,"
                           " start timestamptz, status text) ON COMMIT DROP")  # fmt: skip
            with raw.copy("COPY bench_appts FROM STDIN") as copy:
                for r in appointments:
                    copy.write_row((r["appointment_id"], r["order_id"], r["start"], r["status"]))
            cursor.execute(
                "INSERT INTO patients_appointment (external_id, order_id, start, status,"
                " department, created_at, updated_at) SELECT a.id, o.id, a.start, a.status, '',"
                " now(), now() FROM bench_appts a JOIN patients_order o"
                " ON o.external_id = a.order_id"
            )
            raise _RolledBack
    except _RolledBack:
        pass
    return time.perf_counter() - started


class _RolledBack(Exception):
    pass


def bench_import(rows: int) -> dict[str, Any]:
    """The practice's schedule as an export file imported into records authq has not seen,
    then the same file again (nothing to write), each beside the floor (COPY)."""
    import csv

    from django.core.files import File

    from intake import services as intake
    from intake.models import ImportProfile

    _forget_imported()
    path = ROOT / "var" / "bench-schedule-export.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(_EXPORT_HEADER)
        writer.writerows(sql(_EXPORT_SQL, {"p": IMPORT_PREFIX, "rows": rows}))
    size_mb = round(path.stat().st_size / 2**20, 1)
    profile, _ = ImportProfile.objects.get_or_create(name="bench-import", kind="schedule")
    floor = _copy_floor(path)
    say(f"import floor (COPY of {rows:,} rows): {floor:.1f} s")
    figures: dict[str, Any] = {"rows": rows, "file_mb": size_mb, "floor_s": round(floor, 1)}
    for label in ("first", "again"):
        with path.open("rb") as handle:
            run = intake.start_run(profile, upload=File(handle), name=path.name, by=None)
        with PeakRss() as rss:
            started = time.perf_counter()
            run = intake.run_import(run.pk)
            seconds = time.perf_counter() - started
        say(f"import ({label}): {seconds:.1f} s, {rows / seconds:,.0f} rows/s")
        figures[label] = {
            "seconds": round(seconds, 1),
            "rows_per_s": round(rows / seconds),
            "ratio": round(seconds / floor, 1),
            "created": run.total("created"),
            "updated": run.total("updated"),
            "rejected": run.rows_rejected,
            "peak_rss_delta_mb": rss.delta_mb,
        }
    _forget_imported()
    return figures


def bench_batch(port: int, batches: int = 5, size: int = 1000) -> dict[str, Any]:
    """JSON batches of `size` new appointments through POST /api/v1/imports/?wait=1 (each
    applied, its orders re-evaluated, and its report answered), one after another."""
    from accounts.tokens import issue_token
    from authq.lib import clock
    from intake.models import ImportRun
    from patients.models import Order

    admin = bench_users(1, "admin")[0]
    token = issue_token(admin, days=1)[1]
    client = Client(port, token=token, timeout=600)
    rng = random.Random(SEED)
    orders = list(Order.objects.order_by("?").values_list("external_id", flat=True)[:200])
    today = clock.today()
    run_id = uuid.uuid4().hex[:8]

    def batch(c: Client, i: int, size: int = size) -> dict[str, Any]:
        records = [
            {
                "external_id": f"{APPOINTMENT_PREFIX}{run_id}-b{i}-{n}",
                "order": rng.choice(orders),
                "start": dt.datetime.combine(
                    today + dt.timedelta(days=rng.randrange(1, 30)), dt.time(10)
                ).isoformat()
                + "-05:00",
                "status": "booked",
                "department": "Bench",
            }
            for n in range(size)
        ]
        return c.request(
            "POST", "/api/v1/imports/?wait=1", {"resource": "appointments", "records": records}
        )

    say(f"JSON batches: {batches} x {size} appointments, ?wait=1")
    # Warm every web worker (its first request loads the URLs, the apps' modules).
    # A worker's first request may wait minutes on a machine busy with other work.
    warm = [Client(port, token=token, timeout=600) for _ in range(WORKERS)]
    hammer(warm, 3, lambda c, i: c.request("GET", "/bench/trivial-api/"))
    hammer(warm, 2, lambda c, i: batch(c, -1 - i - 10 * warm.index(c), 20))
    results, _ = hammer([client], batches, batch)
    reports = [json.loads(r["body"]) for r in results]
    bad = [r for r in reports if r.get("created") != size]
    ImportRun.objects.filter(created_by=admin, resource="appointments").delete()
    if bad:
        raise SystemExit(f"bench: a batch was not applied whole: {bad[0]}")
    figures = page_figures(results)
    median = statistics.median(r["client"] for r in results)
    figures["records_per_s"] = round(size / median)
    figures["size"] = size
    say(f"JSON batch of {size:,}: {figures['records_per_s']:,} records/s (target ≥ 5,000)")
    return figures


def fill_items(target: int) -> int:
    """Open items up to `target` with one INSERT ... SELECT: orders lacking an active
    item of a kind get one. They are marked to be removed by the next run."""
    from worklists.models import WorkItem

    have = WorkItem.objects.open().count()
    if have >= target:
        return have
    sql(
        """
        INSERT INTO worklists_workitem
            (order_id, kind, queue, status, first_service_date, affected_appointments,
             due_date, resolution, created_at, updated_at, last_seen_as_of,
             dismissal_reason, dismissal_note)
        SELECT o.id, k.kind, CASE WHEN o.id %% 9 = 0 THEN 'stat' ELSE 'routine' END, 'open',
               CASE WHEN o.id %% 3 = 0 THEN NULL ELSE current_date + (o.id %% 30)::int END,
               (o.id %% 4)::int, current_date + (o.id %% 40)::int - 10, '', now(), now(),
               %(mark)s, '', ''
        FROM patients_order o
        CROSS JOIN (VALUES ('missing_auth'), ('visit_limit')) AS k(kind)
        WHERE NOT EXISTS (
            SELECT 1 FROM worklists_workitem w
            WHERE w.order_id = o.id AND w.kind = k.kind
              AND w.status IN ('open', 'in_progress', 'waiting_on_payer'))
        ORDER BY o.id, k.kind
        LIMIT %(n)s
        """,
        {"mark": BENCH_ITEM_MARK, "n": target - have},
    )
    sql("ANALYZE worklists_workitem")
    return WorkItem.objects.open().count()


# --- the web server and its clients --------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    log = open(ROOT / "var" / "bench-gunicorn.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"), "authq.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
            # A cold worker's first request (its imports) can pass a minute on a busy machine.
            "--timeout", "300", "--log-level", "warning",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("bench: gunicorn exited; see var/bench-gunicorn.log")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    return proc, port


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def bench_users(n: int, role: str) -> list[Any]:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.models import Group, User

    group = Group.objects.get(name=role)
    users = []
    for i in range(n):
        user, _ = User.objects.get_or_create(username=f"{BENCH_USERS}{role}-{i:02d}")
        user.groups.set([group])
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            # Pages answer only people with a second factor (accounts.middleware).
            TOTP.activate(user, generate_totp_secret())
        users.append(user)
    return users


def session_cookie(user: Any) -> str:
    """A signed-in session, as the login view would leave it, and a CSRF secret."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The backend that signs people in (axes' standalone backend, first, only counts failures).
    session[BACKEND_SESSION_KEY] = "authq.backends.PermissionsBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}; csrftoken={csrf}", csrf


class Client:
    """One person's browser: cookies or a token, one request at a time."""

    def __init__(
        self, port: int, cookie: str = "", csrf: str = "", token: str = "", timeout: int = 60
    ) -> None:
        self.port, self.headers, self.timeout = port, {}, timeout
        if cookie:
            self.headers.update({"Cookie": cookie, "X-CSRFToken": csrf})
        if token:
            self.headers["Authorization"] = f"Token {token}"

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        content = response.read()
        client = time.perf_counter() - started
        conn.close()
        return {
            "status": response.status,
            "server": float(response.getheader("X-Bench-Time") or "nan"),
            "client": client,
            "queries": int(response.getheader("X-Bench-Queries") or -1),
            "location": response.getheader("Location") or "",
            "body": content,
        }


def hammer(
    clients: list[Client], per_client: int, call: Callable[[Client, int], dict[str, Any]]
) -> tuple[list[dict[str, Any]], float]:
    """Every client makes per_client calls, all clients at once; (results, wall seconds)."""

    def one(client: Client) -> list[dict[str, Any]]:
        return [call(client, i) for i in range(per_client)]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        results = [r for rs in pool.map(one, clients) for r in rs]
    return results, time.perf_counter() - started


def page_figures(results: list[dict[str, Any]], ok: tuple[int, ...] = (200,)) -> dict[str, Any]:
    bad = [r["status"] for r in results if r["status"] not in ok]
    if bad:
        raise SystemExit(
            f"bench: unexpected answers {sorted(set(bad))}: {results[0]['body'][:300]!r}"
        )
    return {
        "server": summary([r["server"] for r in results]),
        "client": summary([r["client"] for r in results]),
        "queries": sorted({r["queries"] for r in results}),
    }


def next_link(page: int) -> str:
    """The URL the queue's Next link leads to for `page`: after the last item before it."""
    from authq.lib import clock
    from worklists.models import WorkItem, queue_key_of
    from worklists.paging import key_text

    ordered = WorkItem.objects.open().in_work_queue(clock.today()).in_queue_order()
    fields = ("queue", "due_date", "first_service_date", "id", "follow_up_on")
    last = ordered.values_list(*fields)[(page - 1) * 50 - 1]
    return f"/queue/?page={page}&after={key_text(queue_key_of(*last))}"


def web_workloads(port: int, specialists: list[Any], managers: list[Any]) -> dict[str, Any]:
    from django.urls import NoReverseMatch, reverse

    from accounts.tokens import issue_token
    from authq.lib import clock
    from patients.models import Order
    from worklists.models import WorkItem, WorkItemEvent

    figures: dict[str, Any] = {}
    people = [Client(port, *session_cookie(u)) for u in specialists]
    twenty = people[:20]

    say("queue page: 20 users x 10 pages, each kind of page beside the trivial page")
    get = lambda path: lambda c, i: c.request("GET", path)  # noqa: E731
    hammer(twenty[:4], 2, get("/queue/"))  # warm the workers

    def beside_trivial(per_client: int, call: Callable[[Client, int], Any]) -> dict[str, Any]:
        """The page's figures, and the trivial page's measured just before it: the
        machine's speed drifts over a run (a shared VM), so each ratio is taken at once."""
        trivial, _ = hammer(twenty, per_client, get("/bench/trivial/"))
        pages, _ = hammer(twenty, per_client, call)
        return {**page_figures(pages), "floor": page_figures(trivial)}

    # Pages after the first as the pager links them (Next: after= the previous page's last
    # item, worklists/paging.py), and one typed by number (an offset).
    nexts = {n: next_link(n) for n in (2, 3, 4, 1000, 1001, 1002)}
    figures["queue_page"] = beside_trivial(10, get("/queue/"))
    figures["trivial_page"] = figures["queue_page"]["floor"]
    figures["queue_page_2"] = beside_trivial(10, lambda c, i: c.request("GET", nexts[2 + i % 3]))
    figures["queue_page_1000"] = beside_trivial(
        10, lambda c, i: c.request("GET", nexts[1000 + i % 3])
    )
    figures["queue_page_1000_typed"] = beside_trivial(
        3, lambda c, i: c.request("GET", f"/queue/?page={1000 + i}")
    )

    try:
        dashboard = reverse("reports:dashboard")
    except NoReverseMatch:
        dashboard = None
    if dashboard:
        say("dashboard: 5 managers x 4 loads")
        bosses = [Client(port, *session_cookie(u)) for u in managers]
        hammer(bosses[:1], 1, get(dashboard))
        figures["dashboard"] = page_figures(hammer(bosses, 4, get(dashboard))[0])
    else:
        figures["dashboard"] = None

    say("claim next: 50 users x 4 claims at once")
    open_before = WorkItem.objects.open().filter(assignee__isnull=True).count()
    claims, wall = hammer(people, 4, lambda c, i: c.request("POST", "/queue/claim-next/"))
    claimed = [r["location"].rstrip("/").rsplit("/", 1)[-1] for r in claims]
    claim_figures = page_figures(claims, ok=(302,))
    twice = len(claimed) - len(set(claimed))
    events = WorkItemEvent.objects.filter(kind="claimed", actor__in=specialists)
    per_item = events.values_list("work_item_id", flat=True)
    figures["claim_next"] = {
        **claim_figures,
        "claims": len(claimed),
        "claimed_twice": twice + (per_item.count() - len(set(per_item))),
        "open_unclaimed_before": open_before,
        "wall_s": round(wall, 2),
    }

    say("auth check: 4 clients x 50 checks, beside the trivial API view")
    token = issue_token(bench_users(1, "integration")[0], days=1)[1]
    api = [Client(port, token=token) for _ in range(4)]
    rng = random.Random(SEED)
    orders = list(Order.objects.order_by("?").values_list("external_id", flat=True)[:200])
    today = clock.today()

    def check(c: Client, i: int) -> dict[str, Any]:
        day = today + dt.timedelta(days=rng.randrange(0, 45))
        query = urlencode({"order": rng.choice(orders), "date": day.isoformat()})
        return c.request("GET", f"/api/v1/auth-check/?{query}")

    figures["trivial_api"] = page_figures(hammer(api, 50, get("/bench/trivial-api/"))[0])
    figures["auth_check"] = page_figures(hammer(api, 50, check)[0])

    say("appointments through the API: one client, then 8 at once")
    run_id = uuid.uuid4().hex[:8]

    def book(c: Client, i: int) -> dict[str, Any]:
        start = dt.datetime.combine(today + dt.timedelta(days=rng.randrange(1, 30)), dt.time(10))
        return c.request(
            "POST",
            "/api/v1/appointments/",
            {
                "external_id": f"{APPOINTMENT_PREFIX}{run_id}-{uuid.uuid4().hex[:10]}",
                "order": rng.choice(orders),
                "start": start.isoformat() + "-05:00",
                "status": "booked",
                "department": "Bench",
            },
        )

    one, wall_one = hammer(api[:1], 100, book)
    eight, wall_eight = hammer([Client(port, token=token) for _ in range(8)], 25, book)
    floor, wall_floor = hammer(
        api[:1], 100, lambda c, i: c.request("POST", "/bench/trivial-api/", {})
    )
    figures["appointments_single"] = {
        **page_figures(one, ok=(201,)), "records_per_s": round(len(one) / wall_one, 1)
    }  # fmt: skip
    figures["appointments_8_clients"] = {
        **page_figures(eight, ok=(201,)), "records_per_s": round(len(eight) / wall_eight, 1)
    }  # fmt: skip
    figures["trivial_api_post"] = {
        **page_figures(floor, ok=(201,)), "records_per_s": round(len(floor) / wall_floor, 1)
    }  # fmt: skip
    return figures


# --- the chunked scan on real workers -----------------------------------------------


HL7_MESSAGES = 10_000


def _siu_messages(n: int, tag: str) -> list[str]:
    """n SIU^S12 bookings for the practice's orders (new visits, cleaned afterwards)."""
    rows = sql(
        "SELECT o.external_id, p.mrn FROM patients_order o JOIN patients_patient p"
        " ON p.id = o.patient_id ORDER BY o.id LIMIT 5000"
    )
    from authq.lib.clock import today

    day = today() + dt.timedelta(days=10)
    messages = []
    for i in range(n):
        order_id, mrn = rows[i % len(rows)]
        start = f"{day:%Y%m%d}{9 + i % 8:02d}{(i % 4) * 15:02d}00"
        messages.append(
            "\r".join(
                [
                    f"MSH|^~\\&|BENCH|CLINIC|AUTHQ|PRACTICE|{day:%Y%m%d}090000||SIU^S12^SIU_S12|"
                    f"bench-{tag}-{i}|P|2.5.1",
                    f"SCH|REQ{i}|{APPOINTMENT_PREFIX}hl7-{tag}-{i}|||||||||^^^{start}||||||||||"
                    f"|||||{order_id}",
                    f"PID|1||{mrn}||Bench^Patient||19700101",
                    "AIS|1||97110^Therapeutic exercise^CPT4",
                    "AIL|1||Bench clinic",
                ]
            )
        )
    return messages


def _send_all(port: int, messages: list[str], connections: int) -> tuple[list[float], float]:
    """Each connection sends its share, one message after another's ACK; the ACK latencies
    and the wall time."""
    from hl7.client import MLLPClient

    shares = [messages[i::connections] for i in range(connections)]
    latencies: list[list[float]] = [[] for _ in shares]
    refused: list[str] = []

    def run(index: int) -> None:
        with MLLPClient("127.0.0.1", port) as client:
            for message in shares[index]:
                started = time.perf_counter()
                answer = client.send_message(message)
                latencies[index].append(time.perf_counter() - started)
                if b"MSA|AA|" not in answer:
                    refused.append(answer.decode()[:200])

    started = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(run, range(connections)))
    wall = time.perf_counter() - started
    if refused:
        raise SystemExit(f"bench: {len(refused)} messages not AA, first: {refused[0]!r}")
    return [x for each in latencies for x in each], wall


def _listener(env: dict[str, str], *extra: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    log = open(ROOT / "var" / "bench-hl7.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "hl7_listener",
         "--port", str(port), *extra],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("bench: the HL7 listener exited; see var/bench-hl7.log")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, port
        except OSError:
            time.sleep(0.2)
    raise SystemExit("bench: the HL7 listener did not start")


def _commit_floor(n: int = 300) -> dict[str, float]:
    """One durable commit (a one-row INSERT, fsync'd WAL) on this machine: the least an
    ACK sent after its message's commit can wait, whatever the code does."""
    from django.db import connection

    sql("CREATE TABLE IF NOT EXISTS bench_commit_floor (x int)")
    times = []
    with connection.cursor() as cursor:
        for _ in range(n):
            started = time.perf_counter()
            cursor.execute("INSERT INTO bench_commit_floor VALUES (1)")  # autocommit
            times.append(time.perf_counter() - started)
    sql("DROP TABLE bench_commit_floor")
    return summary(times)


def bench_hl7(env: dict[str, str], count: int) -> dict[str, Any]:
    """SIU bookings over MLLP to the listener (its own process): over 1 connection and 4,
    each beside the floor of the same connections answering a fixed ACK unparsed."""
    figures: dict[str, Any] = {"messages": count, "commit": _commit_floor()}
    say(f"hl7: one durable commit p50 {figures['commit']['p50_ms']} ms")
    sql("DELETE FROM feeds_hl7message WHERE control_id LIKE 'bench-%%'")
    for connections in (1, 4):
        messages = _siu_messages(count, f"c{connections}")
        floor_proc, floor_port = _listener(env, "--fixed-ack")
        try:
            floor, floor_wall = _send_all(floor_port, messages, connections)
        finally:
            stop(floor_proc)
        proc, port = _listener(env)
        try:
            times, wall = _send_all(port, messages, connections)
            # The re-evaluator follows the ACKs: how long after the last one the queue
            # had taken every booking's order.
            acked = time.perf_counter()
            while sql("SELECT count(*) FROM feeds_hl7message WHERE control_id LIKE 'bench-%%'"
                      " AND pending_orders IS NOT NULL")[0][0] and time.perf_counter() - acked < 60:  # fmt: skip
                time.sleep(0.01)
            lag = time.perf_counter() - acked
        finally:
            stop(proc)
        figures[f"connections_{connections}"] = {
            **summary(times),
            "per_s": round(count / wall, 1),
            "queue_lag_s": round(lag, 2),
            "floor": {**summary(floor), "per_s": round(count / floor_wall, 1)},
        }
        say(
            f"hl7, {connections} connection(s): {count / wall:.0f} messages/s, "
            f"p95 ACK {figures[f'connections_{connections}']['p95_ms']} ms "
            f"(floor {count / floor_wall:.0f}/s)"
        )
    applied = sql("SELECT count(*) FROM feeds_hl7message WHERE control_id LIKE 'bench-%%'"
                  " AND status = 'applied'")[0][0]  # fmt: skip
    figures["applied"] = applied
    sql("DELETE FROM feeds_hl7message WHERE control_id LIKE 'bench-%%'")
    return figures


def bench_workers(env: dict[str, str], counts: tuple[int, ...], runs: int) -> dict[str, Any]:
    from worklists.models import ScanRun
    from worklists.tasks import scan_authorizations

    out: dict[str, Any] = {}
    for n in counts:
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        log = open(ROOT / "var" / "bench-celery.log", "ab")  # noqa: SIM115
        workers = [
            subprocess.Popen(
                [
                    str(ROOT / ".venv" / "bin" / "celery"),
                    "-A",
                    "authq",
                    "worker",
                    "-Q",
                    queue,
                    "-n",
                    f"w{i}-{queue}@%h",
                    "--pool",
                    "solo",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                    "-l",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
            for i in range(n)
        ]
        times = []
        try:
            for i in range(runs + 1):  # the first run warms the workers up
                last = ScanRun.objects.order_by("-id").values_list("id", flat=True).first() or 0
                started = time.perf_counter()
                scan_authorizations.apply_async(queue=queue)
                deadline = time.monotonic() + 240
                while not ScanRun.objects.filter(id__gt=last, finished_at__isnull=False).exists():
                    if time.monotonic() > deadline:
                        raise SystemExit("bench: the chunked scan did not finish in 240 s")
                    if any(w.poll() is not None for w in workers):
                        raise SystemExit("bench: a celery worker died; see var/bench-celery.log")
                    time.sleep(0.05)
                if i:
                    times.append(time.perf_counter() - started)
                    say(f"chunked scan, {n} worker(s): {times[-1]:.1f} s")
        finally:
            for worker in workers:
                stop(worker)
        out[f"workers_{n}"] = summary(times)
    first, *rest = counts
    for n in rest:
        out[f"speedup_{n}_vs_{first}"] = round(
            out[f"workers_{first}"]["p50_ms"] / out[f"workers_{n}"]["p50_ms"], 2
        )
    return out


# --- report -------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    (pg,) = sql("SHOW server_version")[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 2**20, 1),
        "postgresql": pg,
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def ms(fig: dict[str, Any] | None, key: str = "p50_ms") -> str:
    return "n/a" if not fig else f"{fig[key]:,.1f} ms"


def table(r: dict[str, Any]) -> str:
    rows = ["| workload | p50 | p95 | floor p50 | floor p95 | target | notes |",
            "| --- | ---: | ---: | ---: | ---: | --- | --- |"]  # fmt: skip

    def row(name: str, fig: Any, floor: Any, target: str, notes: str) -> None:
        rows.append(
            f"| {name} | {ms(fig)} | {ms(fig, 'p95_ms')} | {ms(floor)} | {ms(floor, 'p95_ms')} "
            f"| {target} | {notes} |"
        )

    if "scan" in r:
        s = r["scan"]
        row("full scan (run_scan, 1 process)", s["scan"], s["floor"], "—",
            f"{s['ratio_p50']}× floor; {s['orders']:,} orders, {s['input_rows']:,} input rows; "
            f"chunk {s['chunk_size']}: peak RSS +{s['peak_rss_delta_mb']} MB, "
            f"one chunk {s['chunk_peak_python_mb']} MB of Python objects")  # fmt: skip
    if "reevaluate" in r:
        e = r["reevaluate"]
        row("re-evaluate one order", e["reevaluate"], e["floor"], "p95 < 50 ms",
            f"floor: load_orders of that order; {e['reevaluate']['n']} orders")  # fmt: skip
    w = r.get("web")
    if w:
        t = w["trivial_page"]["server"]
        for key, label in (("queue_page", "/queue/ page 1"),
                           ("queue_page_2", "/queue/ pages 2-4 by Next"),
                           ("queue_page_1000", "/queue/ pages 1000-1002 by Next"),
                           ("queue_page_1000_typed", "/queue/?page=1000-1002 typed")):  # fmt: skip
            q = w[key]
            floor = q["floor"]["server"] if "floor" in q else t
            row(f"{label}, 20 users, {w['open_items']:,} open items", q["server"], floor,
                "—" if key.endswith("_typed") else "p95 ≤ 4× trivial",
                f"**p95 {q['server']['p95_ms'] / floor['p95_ms']:.2f}× trivial**; "
                f"server time; queries per page {q['queries']}; "
                f"client p95 {q['client']['p95_ms']:,.0f} ms")  # fmt: skip
        if w.get("dashboard"):
            d = w["dashboard"]
            row("/dashboard/, 5 managers", d["server"], t, "—",
                f"queries {d['queries']}")  # fmt: skip
        else:
            row("/dashboard/", None, None, "—", "n/a (no dashboard URL)")
        c = w["claim_next"]
        row("claim next, 50 users at once", c["server"], t, "no item twice",
            f"{c['claims']} claims in {c['wall_s']} s, claimed twice: {c['claimed_twice']}; "
            f"queries {c['queries']}")  # fmt: skip
        row("auth check (API)", w["auth_check"]["server"], w["trivial_api"]["server"],
            "p95 < 30 ms", f"queries {w['auth_check']['queries']}")  # fmt: skip
        for key, label in (("appointments_single", "POST appointments, 1 client"),
                           ("appointments_8_clients", "POST appointments, 8 clients")):  # fmt: skip
            a = w[key]
            row(label, a["server"], w["trivial_api_post"]["server"], "records/s",
                f"**{a['records_per_s']} records/s** (trivial POST, 1 client: "
                f"{w['trivial_api_post']['records_per_s']}/s); queries {a['queries']}")  # fmt: skip
    if "import" in r:
        i = r["import"]
        for key, label, target in (("first", "first", "< 60 s, ≤ 3× floor"),
                                   ("again", "again, unchanged", "≤ 2× floor")):  # fmt: skip
            f = i[key]
            rows.append(
                f"| import {i['rows']:,} schedule rows ({label}) | {f['seconds']:,} s | — "
                f"| {i['floor_s']:,} s | — | {target} | **{f['rows_per_s']:,} rows/s, "
                f"{f['ratio']}× floor**; created {f['created']:,}, updated {f['updated']:,}, "
                f"rejected {f['rejected']}; peak RSS +{f['peak_rss_delta_mb']} MB; "
                f"file {i['file_mb']} MB |"
            )
    if "batch" in r:
        b = r["batch"]
        row(f"JSON batch of {b['size']:,} appointments (POST imports/?wait=1)", b["server"], None,
            "≥ 5,000 records/s", f"**{b['records_per_s']:,} records/s** (client time, report "
            f"and re-evaluation included); queries {b['queries']}")  # fmt: skip
    if "hl7" in r:
        h = r["hl7"]
        for n in (1, 4):
            fig = h[f"connections_{n}"]
            target = "≥ 300 messages/s, p95 < 50 ms" if n == 1 else "—"
            row(f"HL7 SIU^S12 over MLLP, {n} connection(s)", fig, fig["floor"], target,
                f"**{fig['per_s']} messages/s** (floor, fixed ACK: {fig['floor']['per_s']}/s); "
                f"{h['messages']:,} messages, each committed before its ACK; every order "
                f"re-evaluated {fig['queue_lag_s']} s after the last ACK; one durable commit "
                f"alone: p50 {h['commit']['p50_ms']} ms, p95 {h['commit']['p95_ms']} ms")  # fmt: skip
    if "workers" in r:
        k = r["workers"]
        # The beat's scan, its chunks shared by Celery workers, against the full scan's floor
        # when the scan step ran; the target is the most workers' (one per core).
        floor = r["scan"]["floor"] if "scan" in r else None
        most = max((key for key in k if key.startswith("workers_")), key=lambda x: int(x[8:]))
        for key, fig in k.items():
            if key.startswith("workers_"):
                n = key.split("_")[1]
                ratio = f"{fig['p50_ms'] / floor['p50_ms']:.2f}× floor" if floor else ""
                target, notes = "—", ratio
                if key == most:
                    target, notes = "≤ 3× floor, < 60 s", f"**{ratio}**" if ratio else ""
                row(f"chunked scan (beat), {n} Celery worker(s)", fig, floor, target, notes)
        speedups = ", ".join(f"{k_}: {v}×" for k_, v in k.items() if k_.startswith("speedup"))
        rows.append(f"\nSpeed-up: {speedups}.")
    m = r["machine"]
    rows.insert(0, f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, "
                   f"PostgreSQL {m['postgresql']}, Python {m['python']}; "
                   f"{r['practice']}.\n")  # fmt: skip
    return "\n".join(rows)


def write_doc(text: str) -> None:
    doc = DOC.read_text()
    if START not in doc or END not in doc:
        say(f"{DOC} has no {START} ... {END} markers: table not written there")
        return
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n{text}\n{END}{tail}")


# --- main ---------------------------------------------------------------------------

STEPS = ("scan", "reevaluate", "web", "workers", "import", "batch", "hl7")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "authq_bench"))
    parser.add_argument("--only", default=",".join(STEPS), help=f"some of {','.join(STEPS)}")
    parser.add_argument("--no-docs", action="store_true", help="do not touch docs/performance.md")
    parser.add_argument(
        "--import-rows", type=int, default=100_000, help="schedule rows of the import step"
    )
    parser.add_argument(
        "--hl7-messages", type=int, default=HL7_MESSAGES, help="SIU messages of the hl7 step"
    )
    args = parser.parse_args()
    steps = set(args.only.split(","))
    (ROOT / "var").mkdir(exist_ok=True)
    started = time.perf_counter()

    database_url, redis_url = bench_urls(args.database)
    params = {"patients": args.patients, "seed": SEED}
    fresh = prepare_database(args.database, params)
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        AUTHQ_LOG_LEVEL="WARNING",
        # The limiter still counts every call; the bench's burst must not be refused.
        AUTHQ_API_RATE="1000000/minute",
        PYTHONPATH=str(ROOT),
    )
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if fresh:
        seed(params)
    clean_previous_runs()
    sql("VACUUM ANALYZE")
    counts = sql(
        "SELECT (SELECT count(*) FROM patients_patient), (SELECT count(*) FROM patients_order),"
        " (SELECT count(*) FROM patients_appointment), (SELECT count(*) FROM payers_authorization),"
        " (SELECT count(*) FROM payers_payer), (SELECT count(*) FROM payers_payerrule)"
    )[0]
    results: dict[str, Any] = {
        "machine": machine(),
        "practice": "{:,} patients, {:,} orders, {:,} appointments, {:,} authorizations, "
        "{} payers, {} rules".format(*counts),
    }
    say(results["practice"])
    try:
        if "scan" in steps:
            results["scan"] = bench_scan(runs=3)
        if "reevaluate" in steps:
            results["reevaluate"] = bench_reevaluate(200)
        if "web" in steps:
            open_items = fill_items(100_000)
            say(f"{open_items:,} open items")
            server, port = start_gunicorn(env)
            try:
                results["web"] = web_workloads(
                    port, bench_users(50, "specialist"), bench_users(5, "manager")
                )
                results["web"]["open_items"] = open_items
            finally:
                stop(server)
        if "import" in steps:
            results["import"] = bench_import(args.import_rows)
        if "batch" in steps:
            server, port = start_gunicorn(env)
            try:
                results["batch"] = bench_batch(port)
            finally:
                stop(server)
        if "hl7" in steps:
            results["hl7"] = bench_hl7(env, args.hl7_messages)
        if "workers" in steps:
            clean_previous_runs()  # the scan must not resolve 80,000 bench items here
            results["workers"] = bench_workers(env, (1, 2), runs=2)
    finally:
        clean_previous_runs()
    results["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    text = table(results)
    print(text)
    if not args.no_docs:
        write_doc(text)
    say(f"done in {results['seconds']:.0f} s; wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
