from __future__ import annotations

from django.urls import path

from fhirapi import views

app_name = "fhirapi"

urlpatterns = [
    path("", views.BundleView.as_view(), name="base"),
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    path("Claim/<int:pk>", views.ClaimView.as_view(), name="claim"),
]
