"""The pages of authq. Each helper adds its own patterns below its own comment."""

from __future__ import annotations

from django.urls import path

from worklists.views import queue

app_name = "worklists"

urlpatterns = [
    # Home, queues and claiming.
    path("", queue.home, name="home"),
    path("queue/", queue.queue, name="queue"),
    path("queue/claim-next/", queue.claim_next, name="claim-next"),
    path("items/<int:pk>/claim/", queue.claim, name="claim"),
    path("items/<int:pk>/release/", queue.release, name="release"),
    path("items/<int:pk>/assign/", queue.assign, name="assign"),
]
