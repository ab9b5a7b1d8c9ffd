from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import lockout_views
from accounts.views import SignInView, SignOutView

urlpatterns = [
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", SignOutView.as_view(), name="logout"),
    path("accounts/lockouts/", lockout_views.lockouts, name="lockouts"),
    path("accounts/lockouts/<int:pk>/unlock/", lockout_views.unlock, name="unlock"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("authq.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/schema/ui/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="schema-ui",
    ),
    path("", include("worklists.urls")),
]
