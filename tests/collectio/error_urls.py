"""The site's URLs plus two that fail, to see the error pages a person would get."""

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a forged request")


urlpatterns = [
    path("boom/", boom),
    path("suspicious/", suspicious),
    path("", include("collectio.urls")),
]
