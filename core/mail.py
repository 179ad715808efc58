import sys
from email.mime.image import MIMEImage
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.mail import EmailMessage, EmailMultiAlternatives, SafeMIMEMultipart
from django.core.mail.backends.console import EmailBackend

# The logo every HTML e-mail shows (templates/email/base.html: src="cid:<LOGO_CID>").
# It travels inside the message as an inline part: most mail clients block remote
# images until the reader allows them, and many show neither SVG nor data: URIs.
LOGO_CID = "logo"
LOGO_STATIC_PATH = "img/email-logo.png"


class ConsoleBackend(EmailBackend):
    """The demo's e-mails on stderr, so that commands whose stdout is for people or
    programs (seed_demo's table) stay readable; only the text part is printed (the HTML
    and the base64 logo would bury it), with a line saying the HTML goes with it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("stream", sys.stderr)
        super().__init__(*args, **kwargs)

    def write_message(self, message):
        alternatives = getattr(message, "alternatives", None)
        if not alternatives:
            return super().write_message(message)
        text = EmailMessage(subject=message.subject, body=message.body, from_email=message.from_email, to=message.to)
        super().write_message(text)
        self.stream.write("[+ HTML version with the logo, not shown on the console]\n")
        for attachment in message.attachments:
            name = attachment[0] if isinstance(attachment, tuple) else attachment.get_filename()
            self.stream.write(f"[+ attachment: {name}]\n")


@cache
def logo_png() -> bytes:
    path = finders.find(LOGO_STATIC_PATH)
    if path is None:
        raise FileNotFoundError(f"static file {LOGO_STATIC_PATH} (the e-mail logo) not found")
    with open(path, "rb") as file:
        return file.read()


class BrandedEmail(EmailMultiAlternatives):
    """A text body with its HTML alternative, the logo attached to the HTML:

        multipart/alternative
        ├── text/plain
        └── multipart/related
            ├── text/html       (<img src="cid:logo">)
            └── image/png       (Content-ID: <logo>, inline)

    The logo sits beside the HTML it belongs to (RFC 2387), so a client that shows the
    text part has no image to list as an attachment. The usual Django recipe
    (mixed_subtype = "related") wraps the whole alternative instead. Attachments (a
    receipt) go in a multipart/mixed around all of it; messages that reference no logo
    keep Django's own structure.
    """

    def __init__(self, *, subject: str, body: str, html: str, from_email: str, to: list[str]):
        super().__init__(subject=subject, body=body, from_email=from_email, to=to)
        self.attach_alternative(html, "text/html")

    def message(self):
        msg = super().message()
        if f"cid:{LOGO_CID}" not in self.alternatives[0].content:
            return msg
        # With attachments (a receipt), Django wraps the alternative in multipart/mixed:
        # the logo goes beside the HTML inside it, the attachments stay outside.
        alternative = msg.get_payload()[0] if self.attachments else msg
        text_part, html_part = alternative.get_payload()
        related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET)
        related.attach(html_part)
        logo = MIMEImage(logo_png(), "png")
        logo.add_header("Content-ID", f"<{LOGO_CID}>")
        logo.add_header("Content-Disposition", "inline", filename="logo.png")
        related.attach(logo)
        alternative.set_payload([text_part, related])
        return msg
