"""The rate limits of support's doors (core.limits): ticket creation, shared by the
contact form and the API, and customers' messages, shared by the tracking page and the
API. One counter per limit, whichever door the request comes through."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core import limits

TICKET_IP_GROUP = "support:ticket:ip"
TICKET_EMAIL_GROUP = "support:ticket:email"
MESSAGE_NUMBER_GROUP = "support:message:number"
MESSAGE_IP_GROUP = "support:message:ip"


def ticket_attempt(request: HttpRequest) -> None:
    """Every ticket creation attempt from this IP, valid or not (a flood cap high enough
    for a carrier's shared IP), shared by the contact form and the API."""
    limits.enforce(
        request,
        group=TICKET_IP_GROUP,
        rate=settings.SUPPORT_TICKET_RATE_PER_IP,
        message=_(
            "Trop de messages envoyés depuis votre connexion. Réessayez dans %(wait)s : votre texte est conservé."
        ),
    )


def ticket_check_email(request: HttpRequest, email: str) -> None:
    limits.check(
        request,
        group=TICKET_EMAIL_GROUP,
        rate=settings.SUPPORT_TICKET_RATE_PER_EMAIL,
        ident=email.strip().lower(),
        message=_(
            "Vous nous avez déjà écrit plusieurs fois avec cet e-mail. "
            "Réessayez dans %(wait)s : votre texte est conservé."
        ),
    )


def ticket_count_email(request: HttpRequest, email: str) -> None:
    limits.count(
        request, group=TICKET_EMAIL_GROUP, rate=settings.SUPPORT_TICKET_RATE_PER_EMAIL, ident=email.strip().lower()
    )


def message_attempt(request: HttpRequest, number: str) -> None:
    """A customer's message on the ticket (or tracked request) `number`: per number and
    per IP."""
    message = _("Trop de messages envoyés. Réessayez dans %(wait)s : votre texte est conservé.")
    limits.enforce(
        request,
        group=MESSAGE_NUMBER_GROUP,
        rate=settings.SUPPORT_MESSAGE_RATE_PER_NUMBER,
        ident=number,
        message=message,
    )
    limits.enforce(request, group=MESSAGE_IP_GROUP, rate=settings.SUPPORT_MESSAGE_RATE_PER_IP, message=message)
