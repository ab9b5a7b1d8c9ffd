"""A minimal SMTP server on loopback, for the patient-email tests.

It speaks just enough SMTP for smtplib (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT),
keeps what it accepted, and can refuse recipients with a chosen reply code. It runs in a
thread of the test process; `closed_port()` gives a port where nothing listens.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Mailbox:
    rcpt_reply: str = "250 OK"  # e.g. "550 No such user" or "451 Try later"
    messages: list[tuple[str, list[str], str]] = field(default_factory=list)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        box = self.server.box
        sender, rcpts = "", []
        self.reply("220 localhost test SMTP")
        while raw := self.rfile.readline():
            line = raw.decode().rstrip("\r\n")
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 localhost")
            elif verb == "MAIL":
                sender, rcpts = line.split(":", 1)[1].strip(), []
                self.reply("250 OK")
            elif verb == "RCPT":
                if box.rcpt_reply.startswith("2"):
                    rcpts.append(line.split(":", 1)[1].strip())
                self.reply(box.rcpt_reply)
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data.decode())
                box.messages.append((sender, rcpts, "".join(lines)))
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            else:
                self.reply("502 Not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    box: Mailbox


@contextmanager
def smtp_server(rcpt_reply: str = "250 OK") -> Iterator[tuple[int, Mailbox]]:
    """(port, mailbox) of a server on 127.0.0.1 for the duration of the block."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.box = Mailbox(rcpt_reply=rcpt_reply)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.box
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def smtp_mailers(port: int) -> dict[str, dict[str, object]]:
    """MAILERS naming authq's SMTP backend at 127.0.0.1:port, plain text (no TLS)."""
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 5},
        }
    }
