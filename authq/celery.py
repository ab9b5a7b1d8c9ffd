from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authq.settings")

app = Celery("authq")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
