"""Customer notifications built from templates and queued in the outbox."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from .models import OutboundMessage
from .services import message_queue


def tracking_url(number: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("tracking:detail", args=[number])


def notify_email(*, key: str, to: str, template: str, context: dict) -> OutboundMessage:
    """`template` names a pair: <template>_subject.txt and <template>_body.txt."""
    context = {"PLATFORM_NAME": settings.PLATFORM_NAME, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}_body.txt", context)
    return message_queue(channel=OutboundMessage.Channel.EMAIL, to=to, subject=subject, body=body, key=key)


def notify_sms(*, key: str, to: str, template: str, context: dict) -> OutboundMessage:
    body = " ".join(render_to_string(f"{template}_sms.txt", context).split())
    return message_queue(channel=OutboundMessage.Channel.SMS, to=to, body=body, key=key)
