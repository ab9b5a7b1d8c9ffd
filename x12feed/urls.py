from __future__ import annotations

from django.urls import path

from x12feed import views

app_name = "x12feed"

urlpatterns = [
    path("imports/x12/", views.upload, name="upload"),
    path("imports/x12/<int:pk>/", views.interchange, name="interchange"),
    path("imports/x12/<int:pk>/rejected.csv", views.rejected_csv, name="rejected-csv"),
]
