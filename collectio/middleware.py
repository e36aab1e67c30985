"""Request guards for the whole site: the second factor before any page, readable 405s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse

from collectio import selectors

# What a user who still owes a code (or an authenticator) may reach meanwhile.
TWO_FACTOR_OPEN_VIEWS = frozenset(
    {"two_factor_verify", "two_factor_enrol", "logout", "set_language"}
)
TWO_FACTOR_PAGES = {"verify": "two_factor_verify", "enrol": "two_factor_enrol"}


class TwoFactorMiddleware:
    """After the password, a user with an authenticator gives its code before any page, and
    an agency administrator whose agency requires one enrols it first (django-otp marks the
    session verified)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is not None and match.url_name in TWO_FACTOR_OPEN_VIEWS:
            return None
        pending = selectors.two_factor_pending(request.user)
        if pending is None:
            return None
        return redirect_to_login(request.get_full_path(), reverse(TWO_FACTOR_PAGES[pending]))


class MethodNotAllowedPageMiddleware:
    """Django answers a GET on a POST-only URL with an empty 405: show a page instead."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and not response.content:
            page = render(request, "405.html", status=405)
            page["Allow"] = response["Allow"]
            return page
        return response
