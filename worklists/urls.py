"""The pages of authq. Each helper adds its own patterns below its own comment."""

from __future__ import annotations

from django.urls import path

from worklists.views import item, pending, queue, scheduler, search, trail, workspace

app_name = "worklists"

urlpatterns = [
    # The work-item page and its actions (worklists/views/item.py).
    path("items/<int:pk>/", item.item, name="item"),
    path(
        "items/<int:pk>/coverage/<int:coverage_pk>/benefits/", item.benefits, name="item-benefits"
    ),
    path("items/<int:pk>/submit/", item.submit, name="item-submit"),
    path("items/<int:pk>/decide/", item.decide, name="item-decide"),
    path("items/<int:pk>/peer-review/", item.peer_review, name="item-peer-review"),
    path("items/<int:pk>/appeal/", item.appeal, name="item-appeal"),
    path(
        "items/<int:pk>/peer-review/<int:review_pk>/outcome/",
        item.peer_review_outcome,
        name="item-peer-review-outcome",
    ),
    path(
        "items/<int:pk>/appeal/<int:appeal_pk>/outcome/",
        item.appeal_outcome,
        name="item-appeal-outcome",
    ),
    path("items/<int:pk>/documents/", item.document, name="item-document"),
    path(
        "items/<int:pk>/documents/<int:document_pk>/",
        item.document_download,
        name="item-document-download",
    ),
    path("items/<int:pk>/note/", item.note, name="item-note"),
    path("items/<int:pk>/follow-up/", item.follow_up, name="item-follow-up"),
    path("items/<int:pk>/notify/", item.notify, name="item-notify"),
    path("items/<int:pk>/notify/preview/", item.notify_preview, name="item-notify-preview"),
    path("items/<int:pk>/notifications/", item.notification_log, name="item-notifications"),
    path(
        "items/<int:pk>/notifications/<int:notification_pk>/letter.pdf",
        item.notification_letter,
        name="item-notification-letter",
    ),
    path(
        "items/<int:pk>/notifications/<int:notification_pk>/resend/",
        item.notification_resend,
        name="item-notification-resend",
    ),
    path("items/<int:pk>/dismiss/", item.dismiss, name="item-dismiss"),
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
    # Search from the header, and the order's workspace (worklists/views/search.py, workspace.py).
    path("search/", search.search_page, name="search"),
    path("orders/<int:pk>/", workspace.order_workspace, name="order"),
    path(
        "orders/<int:pk>/documents/<int:document_pk>/",
        workspace.order_document,
        name="order-document",
    ),
    path("orders/<int:pk>/request-auth/", workspace.request_auth, name="order-request-auth"),
    # Home, queues and claiming.
    path("", queue.home, name="home"),
    path("queue/", queue.queue, name="queue"),
    path("queue/claim-next/", queue.claim_next, name="claim-next"),
    # Waiting on the payer, reviews in progress and snoozed items (views/pending.py).
    path("queue/pending/", pending.pending, name="pending"),
    path("items/<int:pk>/claim/", queue.claim, name="claim"),
    path("items/<int:pk>/release/", queue.release, name="release"),
    path("items/<int:pk>/assign/", queue.assign, name="assign"),
    path("items/<int:pk>/assign/menu/", queue.assign_menu, name="assign-menu"),
]
