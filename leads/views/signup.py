"""Sign-up for merchants and influencers: one form, logged in at once."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.roles import home_url_for
from accounts.signup import signup_submit

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
    language = get_language() or settings.LANGUAGE_CODE
    user = signup_submit(
        request,
        form=form,
        template=TEMPLATE,
        context={"form": form},
        group=SIGNUP_IP_GROUP,
        rate=settings.LEADS_SIGNUP_RATE_PER_IP,
        create=lambda data: account_signup(
            role=data["role"],
            username=data["username"],
            email=data["email"],
            password=data["password1"],
            name=data["name"],
            phone=data["phone"],
            language=language,
        ),
    )
    if isinstance(user, HttpResponse):
        return user
    data = form.cleaned_data
    name = data["name"].strip()
    messages.success(request, _("Bienvenue, %(name)s ! Votre compte est ouvert.") % {"name": name})
    return redirect("leads:merchant" if data["role"] == MERCHANT else "leads:influencer")
