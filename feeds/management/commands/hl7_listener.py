"""`manage.py hl7_listener`: the HL7 v2 feed over MLLP (docs/interfaces.md)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from feeds.listener import SWITCH_INTERVAL, Listener, fixed_ack


class Command(BaseCommand):
    help = "Listen for HL7 v2 messages over MLLP and apply them (ADT, ORM/OMG, SIU)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.AUTHQ_HL7_HOST)
        parser.add_argument("--port", type=int, default=settings.AUTHQ_HL7_PORT)
        parser.add_argument(
            "--fixed-ack",
            action="store_true",
            help="Answer every message with a fixed ACK, parsing nothing (the bench's floor).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sys.setswitchinterval(SWITCH_INTERVAL)
        listener = Listener(options["host"], options["port"])
        if options["fixed_ack"]:
            listener.handle = fixed_ack
            listener.settle_every = None

        def ready(port: int) -> None:
            self.stdout.write(f"HL7 listener on {options['host']}:{port}")
            self.stdout.flush()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(listener.serve_forever(ready))
