"""Customer notifications built from templates and queued in the outbox."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .mail import LOGO_CID
from .models import OutboundMessage
from .services import message_queue

# A bullet the staff typed themselves ("- Vidange", "• Vidange"): the e-mail draws its own.
_TYPED_BULLET = re.compile(r"^\s*[-*•·–](?:\s+|$)")


def _one_line(text: str) -> str:
    # Line breaks and runs of spaces collapse; French no-break spaces stay.
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def _tidy_text(text: str) -> str:
    # Template tags leave trailing spaces and runs of blank lines: at most one blank line
    # between paragraphs, none at the ends (no-break spaces inside lines stay).
    lines = [line.rstrip(" \t") for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def tracking_url(number: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("tracking:detail", args=[number])


def text_lines(text: str) -> list[str]:
    """A staff's multi-line field as list items: one per non-empty line, without the
    bullet they may have typed (e-mails list interventions and parts as bullets)."""
    items = (_TYPED_BULLET.sub("", line).strip() for line in (text or "").splitlines())
    return [item for item in items if item]


def notify_email(
    *,
    key: str,
    to: str,
    template: str,
    context: dict,
    language: str | None = None,
    attachments: list[dict] | None = None,
) -> OutboundMessage:
    """`template` names three templates: <template>_subject.txt, <template>_body.txt
    (the plain-text version, extending email/base.txt) and <template>_body.html
    (extending email/base.html), rendered in `language` (the recipient's; default: the
    site's), dates and times in the site's time zone."""
    context = {
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        "SITE_URL": settings.SITE_URL,
        "SITE_HOST": urlsplit(settings.SITE_URL).netloc or settings.SITE_URL,
        "LOGO_CID": LOGO_CID,
        **context,
    }
    # The time zone too: a request (or a worker) may have activated another one, and a
    # customer reads "expire le 12/03 à 08:00" in the site's time.
    with translation.override(language or settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
        subject = _one_line(render_to_string(f"{template}_subject.txt", context))
        context["subject"] = subject
        body = _tidy_text(render_to_string(f"{template}_body.txt", context))
        html_body = render_to_string(f"{template}_body.html", context)
    return message_queue(
        channel=OutboundMessage.Channel.EMAIL,
        to=to,
        subject=subject,
        body=body,
        html_body=html_body,
        key=key,
        attachments=attachments,
    )


def notify_sms(
    *, key: str, to: str, template: str, context: dict, language: str | None = None, channel: str = "sms"
) -> OutboundMessage:
    """A text message from <template>_sms.txt; `channel` is "sms" or "whatsapp" (each
    delivered by its own pluggable backend, core.sms)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        # str.split() also splits on no-break spaces: an SMS has none (they are not in
        # the GSM alphabet and would double the cost of the message).
        body = " ".join(render_to_string(f"{template}_sms.txt", context).split())
    return message_queue(channel=OutboundMessage.Channel(channel), to=to, body=body, key=key)
