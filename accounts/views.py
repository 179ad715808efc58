"""The platform's account pages: log in and out, password reset, where to go after
logging in, and the personal API tokens."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import limits
from core.errors import RateLimited
from core.views import form_rate_limited

from .errors import AuthError
from .forms import LoginForm, PlatformPasswordResetForm
from .models import PersonalToken
from .personal_tokens import personal_token_create, personal_token_revoke
from .roles import home_url_for

LOGIN_IP_GROUP = "account-login:ip"
LOGIN_USER_GROUP = "account-login:user"
RESET_IP_GROUP = "account-reset:ip"


def _login_ident(request: HttpRequest) -> str:
    # Usernames are compared case-sensitively by Django, but an attacker varying the
    # case must not get a fresh counter.
    return "user:" + request.POST.get("username", "").strip().lower()[:150]


class LoginView(auth_views.LoginView):
    """Django's login with our page and two limits: every attempt per client IP (a
    cap against floods), failed attempts per username (against guessing one account's
    password from many addresses; a successful login costs nothing)."""

    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        message = _("Trop de tentatives de connexion. Réessayez dans %(wait)s.")
        try:
            limits.enforce(request, group=LOGIN_IP_GROUP, rate=settings.ACCOUNT_LOGIN_RATE_PER_IP, message=message)
            limits.check(
                request,
                group=LOGIN_USER_GROUP,
                rate=settings.ACCOUNT_LOGIN_RATE_PER_USER,
                ident=_login_ident(request),
                message=message,
            )
        except RateLimited as exc:
            form = self.form_class(request, initial={"username": request.POST.get("username", "")[:150]})
            return form_rate_limited(request, self.template_name, self.get_context_data(form=form), exc)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        limits.count(
            self.request,
            group=LOGIN_USER_GROUP,
            rate=settings.ACCOUNT_LOGIN_RATE_PER_USER,
            ident=_login_ident(self.request),
        )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    """POST only (Django's own rule): a link or an image cannot log anyone out."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("Vous êtes déconnecté."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = PlatformPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request, *args, **kwargs):
        # Each request sends an e-mail: capped per client IP against mail bombing.
        try:
            limits.enforce(request, group=RESET_IP_GROUP, rate=settings.ACCOUNT_PASSWORD_RESET_RATE_PER_IP)
        except RateLimited as exc:
            form = self.form_class(initial={"email": request.POST.get("email", "")[:254]})
            return form_rate_limited(request, self.template_name, self.get_context_data(form=form), exc)
        return super().post(request, *args, **kwargs)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """LOGIN_REDIRECT_URL: the page asked for (`next`), else the user's role's home."""
    next_url = request.GET.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect(home_url_for(request.user))


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Nom du jeton"),
        max_length=100,
        help_text=gettext_lazy("Pour le reconnaître : l'outil ou le script qui l'utilise."),
    )


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """The user's personal API tokens; creating one shows it once, on this response."""
    created = plaintext = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created, plaintext = personal_token_create(user=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    context = {
        "form": form,
        "tokens": PersonalToken.objects.filter(user=request.user),
        "created": created,
        "plaintext": plaintext,
    }
    return render(request, "accounts/tokens.html", context, status=201 if created else 200)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = personal_token_revoke(user=request.user, token_id=token_id)
    except AuthError:
        raise Http404 from None
    messages.success(request, _("Le jeton « %(name)s » est révoqué.") % {"name": token.name})
    return redirect("accounts:tokens")
