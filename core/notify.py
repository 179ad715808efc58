"""Customer notifications built from templates and queued in the outbox."""

import re

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .models import OutboundMessage
from .services import message_queue


def _one_line(text: str) -> str:
    # Line breaks and runs of spaces collapse; French no-break spaces stay.
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def tracking_url(number: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("tracking:detail", args=[number])


def notify_email(*, key: str, to: str, template: str, context: dict, language: str | None = None) -> OutboundMessage:
    """`template` names a pair: <template>_subject.txt and <template>_body.txt, rendered
    in `language` (the recipient's; default: the site's)."""
    context = {"PLATFORM_NAME": settings.PLATFORM_NAME, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = _one_line(render_to_string(f"{template}_subject.txt", context))
        body = render_to_string(f"{template}_body.txt", context)
    return message_queue(channel=OutboundMessage.Channel.EMAIL, to=to, subject=subject, body=body, key=key)


def notify_sms(*, key: str, to: str, template: str, context: dict, language: str | None = None) -> OutboundMessage:
    with translation.override(language or settings.LANGUAGE_CODE):
        # str.split() also splits on no-break spaces: an SMS has none (they are not in
        # the GSM alphabet and would double the cost of the message).
        body = " ".join(render_to_string(f"{template}_sms.txt", context).split())
    return message_queue(channel=OutboundMessage.Channel.SMS, to=to, body=body, key=key)
