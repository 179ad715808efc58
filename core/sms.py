"""Pluggable text-message backends: SMS (the SMS_BACKEND setting) and WhatsApp
(WHATSAPP_BACKEND), one interface for both."""

import abc

from django.conf import settings
from django.utils.module_loading import import_string


class BaseSmsBackend(abc.ABC):
    name = "base"

    @abc.abstractmethod
    def send(self, *, to: str, body: str) -> str:
        """Send one SMS; return the provider's message id. Raise on failure."""


class OutboxBackend(BaseSmsBackend):
    """Default: nothing leaves the machine; the OutboundMessage row is the record,
    visible in admin under "messages sortants"."""

    name = "outbox"

    def send(self, *, to: str, body: str) -> str:
        return ""


def get_sms_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()


def get_whatsapp_backend() -> BaseSmsBackend:
    return import_string(settings.WHATSAPP_BACKEND)()


def backend_for(channel: str) -> BaseSmsBackend:
    return get_whatsapp_backend() if channel == "whatsapp" else get_sms_backend()
