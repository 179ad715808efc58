"""The submission of a sign-up form, the same for every kind of account (customers
here, merchants and influencers in leads): the per-IP limit, the form, the service that
opens the account, its refusals back on the form, the login."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from core import limits
from core.errors import RateLimited
from core.views import form_rate_limited

from .forms import NewAccountForm


def signup_submit(
    request: HttpRequest,
    *,
    form: NewAccountForm,
    template: str,
    context: dict,
    group: str,
    rate: str,
    create: Callable[[dict], object],
):
    """The new user, logged in, or the response to send instead: the form again at 429
    past the limit (with what was typed), at 400 with its errors.

    `create(cleaned_data)` opens the account (a service raising ValidationError by field).
    The limit counts accounts created and attempts refused for an e-mail already in use
    (someone trying addresses to learn which have an account), per client IP: checked
    first, counted once the outcome is known, so a person correcting a typo or a weak
    password is never blocked, while a script opening accounts in bulk is."""
    try:
        limits.check(
            request,
            group=group,
            rate=rate,
            message=_("Trop de comptes créés depuis votre connexion. Réessayez dans %(wait)s."),
        )
    except RateLimited as exc:
        return form_rate_limited(request, template, context, exc)
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        user = create(form.cleaned_data)
    except ValidationError as exc:
        if "email" in exc.message_dict:
            limits.count(request, group=group, rate=rate)
        form.add_service_errors(exc)
        return render(request, template, context, status=400)
    limits.count(request, group=group, rate=rate)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return user
