"""The development mail backend: the console, without the patient's address or name."""

from __future__ import annotations

from typing import Any

from django.core.mail.backends.console import EmailBackend


class RedactedConsoleBackend(EmailBackend):
    """Writes each message's sender, recipient count and subject to the console.

    Recipients are addresses of patients and the body greets them by name, so neither is
    written: development logs get copied around. The page shows the text as sent.
    """

    def write_message(self, message: Any) -> None:
        count = len(message.recipients())
        self.stream.write(
            f"From: {message.from_email}\n"
            f"To: [{count} recipient{'s' if count != 1 else ''}, redacted]\n"
            f"Subject: {message.subject}\n"
            f"[body of {len(message.body)} characters not shown]\n"
        )
        self.stream.write("-" * 79 + "\n")
