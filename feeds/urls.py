from __future__ import annotations

from django.urls import path

from feeds import views

app_name = "feeds"

urlpatterns = [
    path("interfaces/", views.interfaces, name="interfaces"),
    path("interfaces/messages/<int:pk>/", views.message, name="message"),
    path("interfaces/messages/<int:pk>/replay/", views.replay, name="replay"),
]
