"""The pages of authq. Each helper adds its own patterns below its own comment."""

from __future__ import annotations

from django.urls import path

from worklists.views import queue, scheduler, trail

app_name = "worklists"

urlpatterns = [
    # The scheduler's page, the timelines and the access audit (helper F).
    path("scheduler/", scheduler.scheduler, name="scheduler"),
    path("scheduler/orders/<int:pk>/", scheduler.scheduler_order, name="scheduler-order"),
    path(
        "scheduler/orders/<int:pk>/request-auth/",
        scheduler.scheduler_request_auth,
        name="scheduler-request-auth",
    ),
    path("orders/<int:pk>/timeline/", trail.order_timeline, name="order-timeline"),
    path("patients/<int:pk>/timeline/", trail.patient_timeline, name="patient-timeline"),
    path("audit/", trail.audit, name="audit"),
    # Home, queues and claiming.
    path("", queue.home, name="home"),
    path("queue/", queue.queue, name="queue"),
    path("queue/claim-next/", queue.claim_next, name="claim-next"),
    path("items/<int:pk>/claim/", queue.claim, name="claim"),
    path("items/<int:pk>/release/", queue.release, name="release"),
    path("items/<int:pk>/assign/", queue.assign, name="assign"),
]
