"""The product's URLs plus the trivial views each page is measured against."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from authq.urls import urlpatterns as product


@login_required
def trivial(request: HttpRequest) -> HttpResponse:
    """A signed-in page that does nothing: the floor of serving a page."""
    return HttpResponse("ok")


class TrivialApi(APIView):
    """A token-authenticated API view that does nothing: the floor of an API call."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})

    def post(self, request: Request) -> Response:
        return Response({"ok": True}, status=201)


urlpatterns = [
    path("bench/trivial/", trivial),
    path("bench/trivial-api/", TrivialApi.as_view()),
    *product,
]
