from __future__ import annotations

from allauth.account import views as allauth_views
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import lockout_views
from accounts.views import SignOutView

# The admin signs people in through allauth's pages too (password, then the second factor).
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


@require_GET
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico whatever a page links: send them to the SVG."""
    # Resolved per request: the hashed name exists only once collectstatic has run.
    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    # allauth owns /accounts/; these two keep the names the pages use.
    path("accounts/login/", allauth_views.login, name="login"),
    path("accounts/logout/", SignOutView.as_view(), name="logout"),
    path("accounts/", include("allauth.urls")),
    path("accounts/lockouts/", lockout_views.lockouts, name="lockouts"),
    path("accounts/lockouts/<int:pk>/unlock/", lockout_views.unlock, name="unlock"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("authq.api_urls")),
    path("fhir/", include("fhirapi.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/schema/ui/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="schema-ui",
    ),
    path("", include("intake.urls")),
    path("", include("x12feed.urls")),
    path("", include("feeds.urls")),
    path("", include("reports.urls")),
    path("", include("worklists.urls")),
]

handler400 = "authq.errors.bad_request"
handler403 = "authq.errors.permission_denied"
handler404 = "authq.errors.page_not_found"
handler500 = "authq.errors.server_error"
