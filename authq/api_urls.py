"""The REST API under /api/v1/ (../shared/spec/api.md). URL names are in the `api` namespace."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from feeds.api import Hl7MessageViewSet
from intake.api import ImportProfileViewSet, ImportViewSet
from patients.api import AppointmentViewSet, CoverageViewSet, OrderViewSet, PatientViewSet
from payers.api import (
    AuthorizationViewSet,
    PayerRuleViewSet,
    PayerViewSet,
    ReviewVendorViewSet,
)
from worklists.api import AuthCheckView, WorkItemViewSet
from x12feed.api import X12ViewSet

app_name = "api"


class Router(DefaultRouter):
    # JSON only: no `.json` suffix routes doubling every path in the schema.
    include_format_suffixes = False


router = Router()
router.register("payers", PayerViewSet, basename="payer")
router.register("review-vendors", ReviewVendorViewSet, basename="review-vendor")
router.register("payer-rules", PayerRuleViewSet, basename="payer-rule")
router.register("patients", PatientViewSet, basename="patient")
router.register("coverages", CoverageViewSet, basename="coverage")
router.register("orders", OrderViewSet, basename="order")
router.register("appointments", AppointmentViewSet, basename="appointment")
router.register("authorizations", AuthorizationViewSet, basename="authorization")
router.register("work-items", WorkItemViewSet, basename="work-item")
router.register("import-profiles", ImportProfileViewSet, basename="import-profile")
router.register("imports", ImportViewSet, basename="import")
router.register("x12", X12ViewSet, basename="x12")
router.register("hl7-messages", Hl7MessageViewSet, basename="hl7-message")

urlpatterns = [
    path("auth-check/", AuthCheckView.as_view(), name="auth-check"),
    *router.urls,
]
