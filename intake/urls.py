from __future__ import annotations

from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.run, name="run"),
    path("imports/<int:pk>/rejected.csv", views.rejected_csv, name="rejected-csv"),
]
