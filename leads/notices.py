"""What the marketplace tells people: dashboard notifications (the shared
notifications app, in the reader's language) and e-mails (the outbox), each keyed so a
service or job that runs twice tells once. Called inside the services' transactions:
the outbox delivers after commit, and a rolled back action tells nobody.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.notify import notify_email
from tracking.notes import Note, register

from . import money

NOTES = {
    "leads.lead_created": gettext_lazy("Nouveau lead de %(influencer)s : %(client)s (commission %(commission)s)."),
    "leads.lead_reminder": gettext_lazy("Le lead %(client)s attend votre validation depuis %(hours)s heures."),
    "leads.lead_validated": gettext_lazy("Votre lead %(client)s a été validé : %(share)s crédités."),
    "leads.lead_rejected": gettext_lazy("Votre lead %(client)s a été rejeté : %(reason)s"),
    "leads.leads_expired": lambda params: (
        ngettext(
            "%(count)s de vos leads a expiré sans décision du marchand.",
            "%(count)s de vos leads ont expiré sans décision du marchand.",
            params["count"],
        )
        % params
    ),
    "leads.deposit_attention": gettext_lazy("Votre dépôt est à %(percent)s %% (%(balance)s) : pensez à le recharger."),
    "leads.deposit_warning": gettext_lazy("Avertissement : votre dépôt n'est plus qu'à %(percent)s %% (%(balance)s)."),
    "leads.deposit_critical": gettext_lazy("Dépôt critique (%(balance)s) : vos leads seront bientôt bloqués."),
    "leads.deposit_depleted": gettext_lazy("Dépôt épuisé : vos campagnes sont en pause jusqu'à la prochaine recharge."),
    "leads.recharge_paid": gettext_lazy("Dépôt rechargé de %(amount)s. Reçu %(receipt)s."),
    "leads.refund_debited": gettext_lazy("Remboursement ou litige de paiement : %(amount)s débités de votre dépôt."),
    "leads.payout_paid": gettext_lazy("Votre paiement de %(amount)s a été effectué (virement %(reference)s)."),
    "leads.payout_refused": gettext_lazy("Votre demande de paiement de %(amount)s a été refusée : %(reason)s"),
}
register(NOTES)


def _notify(*, user, kind: str, note: Note, link: str, key: str) -> None:
    from notifications.services import notification_send

    notification_send(user=user, kind=kind, text=note, link=link, key=key)


def _email(*, key: str, user, language: str, build: Callable[[], dict]) -> None:
    """An e-mail from the generic notice template; `build` returns its texts and runs in
    the recipient's language."""
    if not user.email:
        return
    with translation.override(language):
        context = build()
    notify_email(key=key, to=user.email, template="leads/email/notice", context=context, language=language)


def _url(name: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name)


def _greeting(user, profile_name: str) -> str:
    return _("Bonjour %(name)s,") % {"name": user.get_full_name() or profile_name}


# --- accounts -------------------------------------------------------------------------------


def welcome(*, user, role: str, language: str) -> None:
    url_name = "leads:merchant" if role == "merchant" else "leads:influencer"

    def build():
        lines = (
            [
                _(
                    "Votre compte marchand est ouvert. Créez une campagne et rechargez votre dépôt "
                    "pour recevoir des leads."
                )
            ]
            if role == "merchant"
            else [_("Votre compte influenceur est ouvert. Choisissez une campagne et proposez vos premiers leads.")]
        )
        return {
            "subject_text": _("Bienvenue sur %(platform)s") % {"platform": settings.PLATFORM_NAME},
            "heading": _("Bienvenue !"),
            "greeting": _greeting(user, user.username),
            "lines": [*lines, _("Votre identifiant : %(username)s") % {"username": user.username}],
            "url": _url(url_name),
            "button": _("Ouvrir mon tableau de bord"),
        }

    _email(key=f"leads:welcome:{user.pk}", user=user, language=language, build=build)


# --- leads ----------------------------------------------------------------------------------


def _lead_params(lead) -> dict:
    return {
        "client": lead.client_name,
        "influencer": lead.influencer.display_name,
        "commission": money.money(lead.commission),
        "share": money.money(lead.influencer_share),
    }


def lead_created(lead) -> None:
    merchant = lead.merchant
    _notify(
        user=merchant.user,
        kind="lead_created",
        note=Note("leads.lead_created", _lead_params(lead)),
        link=reverse("leads:merchant") + "#pending",
        key=f"lead:{lead.pk}:created",
    )

    def build():
        return {
            "subject_text": _("Nouveau lead : %(client)s") % {"client": lead.client_name},
            "heading": _("Un nouveau lead vous attend"),
            "greeting": _greeting(merchant.user, merchant.company_name),
            "lines": [
                _("%(influencer)s vous propose un client pour la campagne « %(campaign)s ».")
                % {"influencer": lead.influencer.display_name, "campaign": lead.campaign.name},
                _("Sa commission est réservée sur votre dépôt jusqu'à votre décision (%(hours)s heures au plus).")
                % {"hours": settings.LEADS_EXPIRE_HOURS},
            ],
            "rows": [
                (_("Client"), lead.client_name),
                (_("Valeur estimée"), str(money.money(lead.estimated_value))),
                (_("Commission"), str(money.money(lead.commission))),
            ],
            "url": _url("leads:merchant"),
            "button": _("Valider ou rejeter"),
        }

    _email(key=f"lead:{lead.pk}:created", user=merchant.user, language=merchant.language, build=build)


def lead_reminder(lead) -> None:
    merchant = lead.merchant
    _notify(
        user=merchant.user,
        kind="lead_reminder",
        note=Note("leads.lead_reminder", {**_lead_params(lead), "hours": settings.LEADS_REMIND_HOURS}),
        link=reverse("leads:merchant") + "#pending",
        key=f"lead:{lead.pk}:reminder",
    )

    def build():
        return {
            "subject_text": _("Rappel : le lead %(client)s attend votre décision") % {"client": lead.client_name},
            "heading": _("Un lead attend votre décision"),
            "greeting": _greeting(merchant.user, merchant.company_name),
            "lines": [
                _("Sans décision de votre part, il expirera %(hours)s heures après sa création.")
                % {"hours": settings.LEADS_EXPIRE_HOURS}
            ],
            "rows": [(_("Client"), lead.client_name), (_("Commission"), str(money.money(lead.commission)))],
            "url": _url("leads:merchant"),
            "button": _("Valider ou rejeter"),
        }

    _email(key=f"lead:{lead.pk}:reminder", user=merchant.user, language=merchant.language, build=build)


def lead_resolved(lead) -> None:
    key = {"validated": "leads.lead_validated", "rejected": "leads.lead_rejected"}
    _notify(
        user=lead.influencer.user,
        kind=f"lead_{lead.status}",
        note=Note(key[lead.status], {**_lead_params(lead), "reason": lead.reason}),
        link=reverse("leads:influencer") + "#leads",
        key=f"lead:{lead.pk}:{lead.status}",
    )


# --- deposits -------------------------------------------------------------------------------


def deposit_alert(*, deposit, level: str, cycle: int, percent, channels: set[str]) -> None:
    """A deposit alert on the channels of its level (leads.jobs decides which)."""
    from core.notify import notify_sms

    merchant = deposit.merchant
    params = {"percent": percent if percent is not None else "—", "balance": money.money(deposit.balance)}
    key = f"deposit:{deposit.pk}:{cycle}:{level}"
    _notify(
        user=merchant.user,
        kind=f"deposit_{level}",
        note=Note(f"leads.deposit_{level}", params),
        link=reverse("leads:merchant") + "#deposit",
        key=key,
    )
    if "email" in channels:

        def build():
            with translation.override(merchant.language):
                text = str(NOTES[f"leads.deposit_{level}"] % params)
            return {
                "subject_text": text,
                "heading": _("Votre dépôt leads"),
                "greeting": _greeting(merchant.user, merchant.company_name),
                "lines": [text],
                "rows": [
                    (_("Solde"), str(money.money(deposit.balance))),
                    (_("Disponible"), str(money.money(deposit.balance - deposit.reserved))),
                ],
                "url": _url("leads:merchant") + "#recharge",
                "button": _("Recharger mon dépôt"),
            }

        _email(key=key, user=merchant.user, language=merchant.language, build=build)
    if merchant.phone:
        with translation.override(merchant.language):
            context = {"text": str(NOTES[f"leads.deposit_{level}"] % params)}
        for channel in sorted(channels & {"sms", "whatsapp"}):
            notify_sms(
                key=f"{key}:{channel}",
                to=merchant.phone,
                template="leads/alert",
                context=context,
                language=merchant.language,
                channel=channel,
            )


def recharge_paid(*, recharge, receipt) -> None:
    _notify(
        user=recharge.merchant.user,
        kind="recharge_paid",
        note=Note("leads.recharge_paid", {"amount": money.money(recharge.paid_amount), "receipt": receipt.number}),
        link=reverse("leads:merchant") + "#receipts",
        key=f"recharge:{recharge.pk}:paid",
    )


def refund_debited(*, recharge, amount, shortfall, key: str) -> None:
    _notify(
        user=recharge.merchant.user,
        kind="refund_debited",
        note=Note("leads.refund_debited", {"amount": money.money(amount)}),
        link=reverse("leads:merchant") + "#deposit",
        key=f"{key}:merchant",
    )
    if shortfall:
        staff_alert(
            key=f"{key}:shortfall",
            subject=_("Remboursement non couvert par le dépôt de %(merchant)s") % {"merchant": recharge.merchant},
            lines=[
                _(
                    "Un remboursement ou un litige de %(total)s a été signalé pour la recharge n° %(id)s ; le dépôt "
                    "n'en couvrait que %(debited)s. Reste à recouvrer : %(shortfall)s."
                )
                % {
                    "total": money.money(amount + shortfall),
                    "id": recharge.pk,
                    "debited": money.money(amount),
                    "shortfall": money.money(shortfall),
                }
            ],
        )


def staff_recipients() -> list[str]:
    if settings.LEADS_REPORT_RECIPIENTS:
        return list(settings.LEADS_REPORT_RECIPIENTS)
    users = get_user_model().objects.filter(is_active=True, is_superuser=True).exclude(email="")
    return list(users.order_by("pk").values_list("email", flat=True))


def staff_alert(*, key: str, subject: str, lines: list[str], rows: list | None = None, url: str = "") -> None:
    for index, address in enumerate(staff_recipients()):
        notify_email(
            key=f"{key}:{index}",
            to=address,
            template="leads/email/notice",
            context={
                "subject_text": subject,
                "heading": subject,
                "lines": lines,
                "rows": rows or [],
                "url": url,
                "button": _("Ouvrir l'administration"),
            },
        )


# --- payouts --------------------------------------------------------------------------------


def payout_resolved(payout) -> None:
    params = {"amount": money.money(payout.amount), "reference": payout.transfer_reference, "reason": payout.reason}
    _notify(
        user=payout.influencer.user,
        kind=f"payout_{payout.status}",
        note=Note(f"leads.payout_{payout.status}", params),
        link=reverse("leads:influencer") + "#payouts",
        key=f"payout:{payout.pk}:{payout.status}",
    )
