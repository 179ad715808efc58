"""Receipts of paid recharges: numbered without gaps (REC-YYYY-NNNNNN) in the credit's
transaction, drawn as PDF (ReportLab) after commit, stored, and e-mailed attached."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from core.notify import notify_email
from core.numbering import number_next

from . import money
from .models import Receipt, Recharge

GREEN = colors.HexColor("#0f5c4d")
GREY = colors.HexColor("#5f6f6b")


def receipt_issue(*, recharge: Recharge) -> Receipt:
    """The receipt of a recharge just credited, in the credit's transaction (its number
    is given back if that transaction rolls back). Its PDF and e-mail follow after commit."""
    issued_at = timezone.now()
    year = timezone.localtime(issued_at).year
    number = number_next(series=f"REC-{year}")
    receipt = Receipt.objects.create(
        number=f"REC-{year}-{number:06d}",
        recharge=recharge,
        merchant=recharge.merchant,
        amount=recharge.paid_amount,
        currency=recharge.currency,
        issued_at=issued_at,
    )
    from .tasks import deliver_receipt

    transaction.on_commit(lambda: deliver_receipt.delay(receipt.pk), robust=True)
    return receipt


def _text(value: str) -> str:
    # The PDF's standard fonts have no narrow no-break space (money's group separator).
    return str(value).replace("\u202f", "\u00a0")


def receipt_pdf(receipt: Receipt, *, language: str | None = None) -> bytes:
    """The receipt as a one-page A4 PDF, in `language` (the merchant's by default)."""
    merchant = receipt.merchant
    recharge = receipt.recharge
    buffer = io.BytesIO()
    with translation.override(language or merchant.language), timezone.override(settings.TIME_ZONE):
        # Uncompressed: a one-page receipt stays small, and its text can be searched and checked.
        pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
        pdf.setTitle(_("Reçu %(number)s") % {"number": receipt.number})
        pdf.setAuthor(settings.COMPANY_LEGAL_NAME)
        width, height = A4
        left, top = 20 * mm, height - 22 * mm

        pdf.setFillColor(GREEN)
        pdf.setFont("Helvetica-Bold", 18)
        pdf.drawString(left, top, settings.COMPANY_LEGAL_NAME)
        pdf.setFillColor(GREY)
        pdf.setFont("Helvetica", 9)
        legal = [settings.COMPANY_ADDRESS]
        for label, value in (("ICE", settings.COMPANY_ICE), ("IF", settings.COMPANY_IF), ("RC", settings.COMPANY_RC)):
            if value:
                legal.append(f"{label}\u00a0: {value}")
        for index, line in enumerate(legal):
            pdf.drawString(left, top - 14 - index * 11, _text(line))

        pdf.setFillColor(colors.black)
        pdf.setFont("Helvetica-Bold", 15)
        pdf.drawRightString(width - left, top, _("REÇU"))
        pdf.setFont("Helvetica", 10)
        pdf.drawRightString(width - left, top - 16, receipt.number)
        pdf.drawRightString(
            width - left, top - 29, date_format(timezone.localtime(receipt.issued_at), "j F Y", use_l10n=True)
        )

        y = top - 80
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(left, y, _("Reçu de"))
        pdf.setFont("Helvetica", 10)
        lines = [merchant.company_name, merchant.user.get_full_name() or merchant.user.username, merchant.user.email]
        if merchant.ice:
            lines.append(f"ICE\u00a0: {merchant.ice}")
        for index, line in enumerate(filter(None, lines)):
            pdf.drawString(left, y - 14 - index * 13, _text(line))

        y -= 110
        pdf.setStrokeColor(GREEN)
        pdf.setLineWidth(0.8)
        pdf.line(left, y + 14, width - left, y + 14)
        rows = [
            (_("Objet"), _("Recharge du dépôt leads")),
            (_("Moyen de paiement"), recharge.get_method_display()),
            (_("Référence du paiement"), recharge.external_reference or recharge.session_id or "—"),
            (
                _("Date du paiement"),
                date_format(timezone.localtime(recharge.paid_at), "j F Y, H:i", use_l10n=True),
            ),
        ]
        pdf.setFont("Helvetica", 10)
        for label, value in rows:
            pdf.setFillColor(GREY)
            pdf.drawString(left, y, _text(label))
            pdf.setFillColor(colors.black)
            pdf.drawRightString(width - left, y, _text(value)[:80])
            y -= 18
        pdf.line(left, y + 4, width - left, y + 4)
        y -= 16
        pdf.setFont("Helvetica-Bold", 13)
        pdf.drawString(left, y, _("Montant reçu"))
        pdf.drawRightString(width - left, y, _text(money.money(receipt.amount)))

        pdf.setFont("Helvetica", 8)
        pdf.setFillColor(GREY)
        pdf.drawString(
            left,
            18 * mm,
            _text(
                _("Ce montant crédite votre dépôt prépayé sur %(platform)s ; il sert au paiement des commissions.")
                % {"platform": settings.PLATFORM_NAME}
            ),
        )
        pdf.showPage()
        pdf.save()
    return buffer.getvalue()


def receipt_pdf_response(receipt: Receipt, *, attachment: bool = False) -> HttpResponse:
    """The receipt's PDF as the pages, the API and the admin serve it: the stored file, or
    the same receipt drawn again when it is not stored (yet) or the storage lost it."""
    content = None
    if receipt.pdf:
        try:
            with receipt.pdf.open("rb") as stored:
                content = stored.read()
        except OSError:
            content = None
    response = HttpResponse(content or receipt_pdf(receipt), content_type="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{receipt.number}.pdf"'
    return response


def receipt_deliver(*, receipt_id: int) -> Receipt:
    """Draw and store the PDF (once), then e-mail it to the merchant (once: the outbox
    key). Safe to run twice."""
    receipt = Receipt.objects.select_related("merchant__user", "recharge").get(pk=receipt_id)
    if not receipt.pdf:
        receipt.pdf.save(f"{receipt.number}.pdf", ContentFile(receipt_pdf(receipt)), save=False)
        Receipt.objects.filter(pk=receipt.pk, pdf="").update(pdf=receipt.pdf.name)
        receipt.refresh_from_db(fields=["pdf"])
    merchant = receipt.merchant
    if merchant.user.email:
        with translation.override(merchant.language):
            context = {
                "subject_text": _("Votre reçu %(number)s") % {"number": receipt.number},
                "heading": _("Dépôt rechargé de %(amount)s") % {"amount": money.money(receipt.amount)},
                "greeting": _("Bonjour %(name)s,") % {"name": merchant.user.get_full_name() or merchant.company_name},
                "lines": [
                    _(
                        "Votre paiement est bien reçu et votre dépôt est crédité. "
                        "Vous trouverez le reçu en pièce jointe."
                    )
                ],
                "rows": [
                    (pgettext("receipt document", "Reçu"), receipt.number),
                    (_("Montant"), str(money.money(receipt.amount))),
                ],
                "url": settings.SITE_URL.rstrip("/") + "/leads/merchant/#receipts",
                "button": _("Voir mon dépôt"),
            }
        notify_email(
            key=f"receipt:{receipt.pk}",
            to=merchant.user.email,
            template="leads/email/notice",
            context=context,
            language=merchant.language,
            attachments=[
                {"path": receipt.pdf.name, "filename": f"{receipt.number}.pdf", "mimetype": "application/pdf"}
            ],
        )
    return receipt
