"""Sign-up for merchants and influencers: one form, logged in at once."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.roles import home_url_for
from core import limits
from core.errors import RateLimited
from core.views import form_rate_limited

from ..accounts import INFLUENCER, MERCHANT, account_signup, role_of
from ..forms import SignupForm

SIGNUP_IP_GROUP = "leads-signup:ip"
TEMPLATE = "leads/signup.html"


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if role_of(request.user):
        return redirect(home_url_for(request.user))
    if request.method != "POST":
        role = request.GET.get("role")
        form = SignupForm(initial={"role": role if role in (MERCHANT, INFLUENCER) else MERCHANT})
        return render(request, TEMPLATE, {"form": form})
    form = SignupForm(request.POST)
    context = {"form": form}
    message = _("Trop de comptes créés depuis votre connexion. Réessayez dans %(wait)s.")
    try:
        # Accounts created per IP (a check here, counted once one is created): someone
        # correcting a typo is never blocked; a script opening accounts in bulk is.
        limits.check(request, group=SIGNUP_IP_GROUP, rate=settings.LEADS_SIGNUP_RATE_PER_IP, message=message)
    except RateLimited as exc:
        return form_rate_limited(request, TEMPLATE, context, exc)
    if not form.is_valid():
        return render(request, TEMPLATE, context, status=400)
    data = form.cleaned_data
    try:
        user = account_signup(
            role=data["role"],
            username=data["username"],
            email=data["email"],
            password=data["password1"],
            name=data["name"],
            phone=data["phone"],
            language=get_language() or settings.LANGUAGE_CODE,
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return render(request, TEMPLATE, context, status=400)
    limits.count(request, group=SIGNUP_IP_GROUP, rate=settings.LEADS_SIGNUP_RATE_PER_IP)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    name = data["name"].strip()
    messages.success(request, _("Bienvenue, %(name)s ! Votre compte est ouvert.") % {"name": name})
    return redirect("leads:merchant" if data["role"] == MERCHANT else "leads:influencer")
