from __future__ import annotations

from django.apps import AppConfig


class FhirApiConfig(AppConfig):
    # Not "fhir": a package of that name would hide the fhir.resources namespace package.
    name = "fhirapi"
    verbose_name = "FHIR R4 interface"

    def ready(self) -> None:
        from fhirapi.roles import grant_bundle_roles

        grant_bundle_roles()
