"""Customer accounts' pages: sign up, verify the e-mail (and ask the link again), "Mes
demandes". Thin: the rules are in accounts.customers, the reads in the selectors."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import limits
from core.errors import RateLimited
from core.views import ratelimited
from support.selectors import tickets_of_user
from tracking.selectors import items_for_email

from .customers import customer_signup, email_verification_send, email_verify
from .errors import LINK_EXPIRED, AccountError
from .forms import CustomerSignupForm
from .roles import home_url_for
from .selectors import CUSTOMER_SESSION_KEY, customer_profile, is_customer, verified_email
from .signup import signup_submit

SIGNUP_IP_GROUP = "account-signup:ip"
VERIFY_RESEND_GROUP = "account-verify-resend:user"
SIGNUP_TEMPLATE = "accounts/signup.html"
# "Mes demandes" lists this many requests and this many tickets at most, newest first.
REQUESTS_LIMIT = 100


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(home_url_for(request.user))
    if request.method != "POST":
        return render(request, SIGNUP_TEMPLATE, {"form": CustomerSignupForm()})
    form = CustomerSignupForm(request.POST)
    language = get_language() or settings.LANGUAGE_CODE
    user = signup_submit(
        request,
        form=form,
        template=SIGNUP_TEMPLATE,
        context={"form": form},
        group=SIGNUP_IP_GROUP,
        rate=settings.ACCOUNT_SIGNUP_RATE_PER_IP,
        create=lambda data: customer_signup(
            name=data["name"], email=data["email"], password=data["password1"], language=language
        ),
    )
    if isinstance(user, HttpResponse):
        return user
    messages.success(
        request,
        _(
            "Bienvenue ! Votre compte est ouvert. Un lien de vérification vient d'être envoyé à %(email)s : "
            "cliquez-le pour voir ici les demandes envoyées avec cette adresse."
        )
        % {"email": user.email},
    )
    return redirect("accounts:requests")


@require_GET
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """The link of the verification e-mail. Works without being logged in (the link
    proves the mailbox); a second click says the address is already verified."""
    try:
        verification = email_verify(token=token)
    except AccountError as exc:
        context = {
            "message": exc.message,
            "expired": exc.code == LINK_EXPIRED,
            # What the page offers: a new link to a customer still unverified, the requests
            # to one verified since, the login to a visitor.
            "can_resend": is_customer(request.user) and verified_email(request.user) is None,
            "verified": verified_email(request.user) is not None,
        }
        return render(request, "accounts/verify_invalid.html", context, status=400)
    context = {
        "email": verification.email,
        "already": verification.already,
        "own_account": request.user.is_authenticated and request.user.pk == verification.user.pk,
    }
    return render(request, "accounts/verify_done.html", context)


@login_required
@require_POST
def verification_resend(request: HttpRequest) -> HttpResponse:
    """ "Renvoyer le lien de vérification", to the account's current e-mail."""
    try:
        limits.enforce(
            request,
            group=VERIFY_RESEND_GROUP,
            rate=settings.ACCOUNT_EMAIL_VERIFY_RESEND_RATE,
            ident=f"user:{request.user.pk}",
            message=_(
                "Plusieurs liens vous ont déjà été envoyés : vérifiez vos e-mails (et le dossier des indésirables). "
                "Vous pourrez en demander un autre dans %(wait)s."
            ),
        )
        email_verification_send(user=request.user)
    except RateLimited as exc:
        return ratelimited(request, exc, back_url=reverse("accounts:requests"))
    except AccountError as exc:
        messages.info(request, exc.message)
        return redirect("accounts:requests")
    messages.success(
        request, _("Un nouveau lien de vérification vient d'être envoyé à %(email)s.") % {"email": request.user.email}
    )
    return redirect("accounts:requests")


# Personal data: no shared cache keeps it, the browser does not store it on disk.
@cache_control(private=True, no_store=True)
@login_required
@require_GET
def requests(request: HttpRequest) -> HttpResponse:
    """ "Mes demandes": the requests sent with the account's verified e-mail (none
    before it is verified), and the account's tickets. A constant number of queries."""
    user = request.user
    email = verified_email(user)
    tickets = list(tickets_of_user(user=user, verified_email=email)[:REQUESTS_LIMIT])
    ticket_numbers = {ticket.tracking.number for ticket in tickets}
    # Tickets have their own list, with their subject: not twice.
    found = items_for_email(email=email or "", limit=REQUESTS_LIMIT)
    items = [item for item in found if item.number not in ticket_numbers]
    profile = customer_profile(user)
    context = {
        "items": items,
        "tickets": tickets,
        "verified_email": email,
        "customer": profile is not None,
        # The account's e-mail changed since it was verified: the new one needs its link.
        "email_changed": profile is not None and profile.email_verified_at is not None and email is None,
    }
    return render(request, "accounts/requests.html", context)


def requests_menu_item(request: HttpRequest) -> str:
    """ "Mes demandes" in a customer's header (accounts.menu), known from the session
    without a query (accounts.signals.remember_customer)."""
    if not request.session.get(CUSTOMER_SESSION_KEY):
        return ""
    return format_html('<a class="account-link" href="{}">{}</a>', reverse("accounts:requests"), _("Mes demandes"))
