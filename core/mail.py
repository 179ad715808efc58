import sys

from django.core.mail.backends.console import EmailBackend


class ConsoleBackend(EmailBackend):
    """Console e-mails on stderr, so commands whose stdout is data (seed_demo prints
    tracking numbers) stay parseable."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("stream", sys.stderr)
        super().__init__(*args, **kwargs)
