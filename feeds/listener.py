"""The MLLP listener: the `hl7` library's asyncio server frames the messages; applier
threads write them.

Connections are read concurrently. Each message goes to one of AUTHQ_HL7_APPLIERS
applier threads (each with its own database connection), chosen by the patient: the
first identifier of PID-3. A thread applies its messages one after another in the order
the listener read them, so the messages of one patient are applied in the order they
were received, whichever connection brought them, while different patients' messages
are applied side by side. Each connection waits for its ACK before its next message
(MLLP's original mode).

The ACK follows the commit of the message's effects; the orders it changed are stored
with it and re-evaluated by one more thread, the re-evaluator, a batch at a time, woken
by each applied message (REEVALUATE_WAIT after it, so a burst makes one batch) and at
least every REEVALUATE_SECONDS: the queue follows the booking within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connections
from hl7.mllp import HL7StreamReader, HL7StreamWriter, InvalidBlockError, start_hl7_server

log = logging.getLogger(__name__)

# Held messages are released or reported this often (seconds).
SETTLE_SECONDS = 30.0
# The re-evaluator gathers a burst this long after a message wakes it (seconds), and looks
# for orders left pending (by a listener that stopped) at least this often.
REEVALUATE_WAIT = 0.05
REEVALUATE_SECONDS = 0.5
# The listener process's GIL switch interval (seconds; Python's default is 0.005): an
# applier whose database answer has come waits at most this long for the re-evaluator's
# thread to hand over the interpreter (30% more messages a second on one connection).
SWITCH_INTERVAL = 0.0005
# The largest message read (bytes): a bigger one is answered AR and skipped.
MAX_MESSAGE_BYTES = 1 << 20

type Handler = Callable[[str], str]


_PID3 = re.compile(rb"(?:^|[\r\n])PID\|[^|\r\n]*\|[^|\r\n]*\|([^|^~&\r\n]*)")


def patient_key(block: bytes) -> bytes:
    """The first identifier of PID-3, read without parsing (b"" when there is none): the
    messages of one patient go to the same applier. Assumes the usual `|^~&` separators;
    a message with others goes to the first applier."""
    found = _PID3.search(block)
    return found.group(1).strip() if found else b""


def decode(block: bytes) -> str:
    """UTF-8, or Windows-1252 for the engines that still send it."""
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError:
        return block.decode("cp1252", errors="replace")


# An applier checks its database connection (Django's health check, a round trip, and
# CONN_MAX_AGE) at most this often (seconds), and after any failure: not per message.
CONNECTION_CHECK_SECONDS = 1.0
_checked = threading.local()


def _check_connection() -> None:
    now = time.monotonic()
    if now - getattr(_checked, "at", -CONNECTION_CHECK_SECONDS) >= CONNECTION_CHECK_SECONDS:
        close_old_connections()
        _checked.at = now


def apply_message(raw: str) -> str:
    """The applier's work for one message: apply it, answer its ACK."""
    from feeds.services import Outcome, ack, receive

    _check_connection()
    try:
        return receive(raw, defer_reevaluation=True).ack
    except Exception as exc:  # noqa: BLE001 - the database down: the sender sends it again
        # The exception's text may quote the message's values: only its kind is logged.
        log.error("hl7 message not stored (%s): answered AR", type(exc).__name__)
        connections.close_all()  # this thread's: the next message connects anew
        _checked.at = -CONNECTION_CHECK_SECONDS
        return ack(None, Outcome("rejected", "AR", "", "authq could not store it; send again."))


def fixed_ack(raw: str) -> str:
    """The bench's floor: a constant ACK, nothing parsed or stored."""
    return "MSH|^~\\&|AUTHQ||||20261201000000||ACK|1|P|2.5.1\rMSA|AA|1"


def reevaluate() -> None:
    from feeds.services import reevaluate_pending

    close_old_connections()
    try:
        reevaluate_pending()
    except Exception as exc:  # noqa: BLE001 - the orders stay pending: tried again soon
        log.error("hl7 orders not re-evaluated (%s)", type(exc).__name__)


def settle() -> None:
    from feeds.services import settle_held

    close_old_connections()
    try:
        settle_held()
    except Exception as exc:  # noqa: BLE001 - tried again at the next tick
        log.error("hl7 held messages not settled (%s)", type(exc).__name__)


def _appliers() -> list[ThreadPoolExecutor]:
    return [
        ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"hl7-apply-{n}")
        for n in range(settings.AUTHQ_HL7_APPLIERS)
    ]


@dataclass
class Listener:
    host: str
    port: int
    handle: Handler = apply_message
    settle_every: float | None = SETTLE_SECONDS
    appliers: list[ThreadPoolExecutor] = field(default_factory=_appliers)
    reevaluator: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="hl7-reevaluate")
    )
    bound_port: int = 0
    server: asyncio.Server | None = None
    wake: asyncio.Event | None = None
    reevaluating: asyncio.Task[None] | None = None

    def applier(self, block: bytes) -> ThreadPoolExecutor:
        return self.appliers[zlib.crc32(patient_key(block)) % len(self.appliers)]

    async def start(self) -> asyncio.Server:
        self.server = await start_hl7_server(
            self.client, self.host, self.port, limit=MAX_MESSAGE_BYTES
        )
        self.bound_port = self.server.sockets[0].getsockname()[1]
        if self.handle is apply_message:
            self.wake = asyncio.Event()
            self.reevaluating = asyncio.create_task(self.reevaluate_loop())
        return self.server

    async def reevaluate_loop(self) -> None:
        loop = asyncio.get_running_loop()
        assert self.wake is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), REEVALUATE_SECONDS)
                await asyncio.sleep(REEVALUATE_WAIT)
            self.wake.clear()
            await loop.run_in_executor(self.reevaluator, reevaluate)

    async def serve_forever(self, on_ready: Callable[[int], None] | None = None) -> None:
        server = await self.start()
        if on_ready:
            on_ready(self.bound_port)
        ticker = asyncio.create_task(self.tick()) if self.settle_every else None
        try:
            async with server:
                await server.serve_forever()
        finally:
            if ticker:
                ticker.cancel()
            if self.reevaluating:
                self.reevaluating.cancel()
            self.close_database()

    async def tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.settle_every or SETTLE_SECONDS)
            # Held messages are settled by the first applier, between its messages.
            await loop.run_in_executor(self.appliers[0], settle)

    async def client(self, reader: HL7StreamReader, writer: HL7StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    block = await reader.readblock()
                except asyncio.IncompleteReadError:
                    break  # the sender closed the connection
                except (InvalidBlockError, ValueError):
                    # Not an MLLP block (or too big): answered AR, stored as unreadable.
                    block = b"\x00unreadable block"
                answer = await loop.run_in_executor(self.applier(block), self.handle, decode(block))
                writer.writeblock(answer.encode("utf-8"))
                if self.wake is not None:
                    self.wake.set()
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def close_database(self) -> None:
        # In each applier's thread: a connection belongs to the thread that opened it.
        for applier in [*self.appliers, self.reevaluator]:
            applier.submit(connections.close_all).result()


class ListenerThread:
    """A listener in a thread of its own (tests, the bench): start(), then stop()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, handle: Handler = apply_message):
        self.listener = Listener(host, port, handle=handle, settle_every=None)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="hl7-listener", daemon=True)

    @property
    def port(self) -> int:
        return self.listener.bound_port

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            server = await self.listener.start()
            self.ready.set()
            async with server:
                with contextlib.suppress(asyncio.CancelledError):
                    await server.serve_forever()
            if self.listener.reevaluating is not None:
                self.listener.reevaluating.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self.listener.reevaluating

        self.loop.run_until_complete(main())

    def start(self) -> ListenerThread:
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("the HL7 listener did not start")
        return self

    def stop(self) -> None:
        server = self.listener.server
        if server is not None:
            self.loop.call_soon_threadsafe(server.close)
            for task in asyncio.all_tasks(self.loop):
                self.loop.call_soon_threadsafe(task.cancel)
        self.thread.join(10)
        self.listener.close_database()
        for applier in [*self.listener.appliers, self.listener.reevaluator]:
            applier.shutdown(wait=True)
        self.loop.close()
