"""The merchant's dashboard: the deposit card, the pending leads (validated or rejected
in place with htmx, or by a plain POST), the resolved ones, campaigns, receipts and
notifications. Every action goes through one service; a refusal is a message on the
row or the form, never an error page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from notifications.models import Notification

from .. import errors, selectors, services
from ..errors import LeadError
from ..forms import CampaignForm, RechargeForm, RejectLeadForm, ValidateLeadForm
from ..models import Deposit, Lead, MerchantProfile
from ..money import money
from ..recharges import online_payment_configured
from .common import fragments, is_htmx, merchant_required

DASHBOARD = "leads/merchant/dashboard.html"
PENDING_SHOWN = 100
RESOLVED_SHOWN = 20


def deposit_context(merchant: MerchantProfile) -> dict:
    """The deposit card: the figures and the last five ledger rows (two queries)."""
    deposit = Deposit.objects.get(merchant=merchant)
    return {
        "deposit": selectors.deposit_summary(deposit=deposit),
        "entries": list(selectors.ledger_for(merchant=merchant)[:5]),
    }


def pending_context(merchant: MerchantProfile) -> dict:
    return {"pending_totals": selectors.pending_totals(merchant=merchant)}


def campaigns_context(
    merchant: MerchantProfile, *, form: CampaignForm | None = None, error: str = "", editing=None
) -> dict:
    """`editing`: (campaign id, its bound form) when an edit was refused, so that its form
    shows open again with what was typed and the reason."""
    return {
        "campaigns": list(selectors.campaign_list(merchant=merchant)),
        "campaign_form": form or CampaignForm(),
        "campaign_error": error,
        "editing_id": editing[0] if editing else None,
        "editing_form": editing[1] if editing else None,
    }


def recharge_panel(request: HttpRequest, merchant: MerchantProfile) -> dict | None:
    """Coming back from the hosted checkout: ?recharge=<id>&payment=success|cancel."""
    raw = request.GET.get("recharge", "")
    if not (raw.isascii() and raw.isdigit()):
        return None
    recharge = selectors.recharge_for(merchant=merchant, recharge_id=int(raw))
    if recharge is None:
        return None
    return {"recharge": recharge, "cancelled": request.GET.get("payment") == "cancel"}


def recharge_dialog_context(form: RechargeForm) -> dict:
    """The recharge form (online), or the bank transfer instructions without keys."""
    return {
        "recharge_form": form,
        "online_payment": online_payment_configured(),
        "recharge_min": settings.LEADS_RECHARGE_MIN,
        "bank": {"holder": settings.LEADS_BANK_TRANSFER_HOLDER, "rib": settings.LEADS_BANK_TRANSFER_RIB},
    }


def dashboard_context(request: HttpRequest, merchant: MerchantProfile, **overrides) -> dict:
    """Everything the page shows, in a constant number of queries whatever the counts."""
    context = {
        "merchant": merchant,
        **deposit_context(merchant),
        **pending_context(merchant),
        "pending": list(selectors.pending_leads(merchant=merchant)[:PENDING_SHOWN]),
        "resolved": list(selectors.lead_list(merchant=merchant).exclude(status=Lead.Status.PENDING)[:RESOLVED_SHOWN]),
        **campaigns_context(merchant),
        "receipts": list(selectors.receipts_for(merchant=merchant)[:10]),
        "notifications": list(
            Notification.objects.filter(user=request.user, read_at__isnull=True).order_by("-created_at", "-pk")[:5]
        ),
        "panel": recharge_panel(request, merchant),
        **recharge_dialog_context(RechargeForm()),
        "ratings": range(1, 11),
    }
    context.update(overrides)
    return context


@require_GET
@merchant_required
def dashboard(request: HttpRequest, merchant: MerchantProfile) -> HttpResponse:
    return render(request, DASHBOARD, dashboard_context(request, merchant))


# --- validating and rejecting a pending lead ------------------------------------------------


def _own_lead(merchant: MerchantProfile, lead_id: int) -> Lead:
    lead = selectors.lead_list(merchant=merchant).filter(pk=lead_id).first()
    if lead is None:
        raise Http404
    return lead


def _lead_answer(request: HttpRequest, merchant: MerchantProfile, lead: Lead, *, error: str = "", ok: str = ""):
    """htmx: the lead's row, and the deposit card and the pending total out of band.
    Plain POST: back to the dashboard with the message."""
    if is_htmx(request):
        row = {"lead": lead, "row_error": error, "row_ok": ok, "ratings": range(1, 11)}
        return fragments(
            request,
            ("leads/merchant/_lead_row.html", row),
            ("leads/merchant/_deposit.html", {**deposit_context(merchant), "oob": True}),
            ("leads/merchant/_pending_total.html", {**pending_context(merchant), "oob": True}),
            status=422 if error else 200,
        )
    # The message shows in the section the page scrolls to (extra_tags: core/_messages.html).
    if error:
        messages.error(request, error, extra_tags="pending")
    else:
        messages.success(request, ok, extra_tags="pending")
    return redirect(reverse("leads:merchant") + "#pending")


def _form_message(form) -> str:
    return " ".join(str(error) for field_errors in form.errors.values() for error in field_errors)


@require_POST
@merchant_required
def lead_validate(request: HttpRequest, merchant: MerchantProfile, lead_id: int) -> HttpResponse:
    lead = _own_lead(merchant, lead_id)
    form = ValidateLeadForm(request.POST)
    if not form.is_valid():
        return _lead_answer(request, merchant, lead, error=_form_message(form))
    try:
        lead = services.lead_validate(
            lead_id=lead.pk,
            merchant=merchant,
            rating=form.cleaned_data["rating"],
            feedback=form.cleaned_data["feedback"],
            actor=request.user,
        )
    except LeadError as exc:
        return _lead_answer(request, merchant, _own_lead(merchant, lead_id), error=exc.message)
    ok = _("Lead de %(client)s validé : %(amount)s déduits du dépôt.") % {
        "client": lead.client_name,
        "amount": money(lead.commission),
    }
    return _lead_answer(request, merchant, lead, ok=ok)


@require_POST
@merchant_required
def lead_reject(request: HttpRequest, merchant: MerchantProfile, lead_id: int) -> HttpResponse:
    lead = _own_lead(merchant, lead_id)
    form = RejectLeadForm(request.POST)
    if not form.is_valid():
        return _lead_answer(request, merchant, lead, error=_("Indiquez le motif du rejet."))
    try:
        lead = services.lead_reject(
            lead_id=lead.pk, merchant=merchant, reason=form.cleaned_data["reason"], actor=request.user
        )
    except LeadError as exc:
        return _lead_answer(request, merchant, _own_lead(merchant, lead_id), error=exc.message)
    ok = _("Lead de %(client)s rejeté : la réservation est libérée.") % {"client": lead.client_name}
    return _lead_answer(request, merchant, lead, ok=ok)


# --- campaigns ------------------------------------------------------------------------------


def _campaigns_answer(request, merchant, *, ok: str = "", error: str = "", form=None, editing=None) -> HttpResponse:
    if is_htmx(request):
        context = {**campaigns_context(merchant, form=form, error=error, editing=editing), "campaign_ok": ok}
        return fragments(request, ("leads/merchant/_campaigns.html", context), status=422 if error or form else 200)
    if form is not None or editing is not None:
        # Without JavaScript, the whole page again, with what was typed.
        context = dashboard_context(
            request, merchant, **campaigns_context(merchant, form=form, error=error, editing=editing)
        )
        return render(request, DASHBOARD, context, status=400)
    if error:
        messages.error(request, error, extra_tags="campaigns")
    else:
        messages.success(request, ok, extra_tags="campaigns")
    return redirect(reverse("leads:merchant") + "#campaigns")


@require_POST
@merchant_required
def campaign_create(request: HttpRequest, merchant: MerchantProfile) -> HttpResponse:
    form = CampaignForm(request.POST)
    if not form.is_valid():
        return _campaigns_answer(request, merchant, form=form)
    campaign = services.campaign_create(merchant=merchant, **form.cleaned_data)
    ok = _("Campagne « %(name)s » créée.") % {"name": campaign.name}
    if campaign.paused_for_deposit:
        ok += " " + _("Elle reprendra à la prochaine recharge de votre dépôt.")
    return _campaigns_answer(request, merchant, ok=ok)


@require_POST
@merchant_required
def campaign_update(request: HttpRequest, merchant: MerchantProfile, campaign_id: int) -> HttpResponse:
    form = CampaignForm(request.POST)
    if not form.is_valid():
        error = " ".join(
            _("%(field)s : %(errors)s") % {"field": form.fields[name].label, "errors": " ".join(errors)}
            for name, errors in form.errors.items()
        )
        return _campaigns_answer(request, merchant, error=error, editing=(campaign_id, form))
    try:
        campaign = services.campaign_update(merchant=merchant, campaign_id=campaign_id, **form.cleaned_data)
    except LeadError as exc:
        if exc.code == errors.CAMPAIGN_NOT_FOUND:
            raise Http404 from None
        return _campaigns_answer(request, merchant, error=exc.message)
    return _campaigns_answer(request, merchant, ok=_("Campagne « %(name)s » modifiée.") % {"name": campaign.name})


@require_POST
@merchant_required
def campaign_pause(request: HttpRequest, merchant: MerchantProfile, campaign_id: int) -> HttpResponse:
    try:
        campaign = services.campaign_pause(merchant=merchant, campaign_id=campaign_id)
    except LeadError:
        raise Http404 from None
    return _campaigns_answer(request, merchant, ok=_("Campagne « %(name)s » en pause.") % {"name": campaign.name})


@require_POST
@merchant_required
def campaign_resume(request: HttpRequest, merchant: MerchantProfile, campaign_id: int) -> HttpResponse:
    try:
        campaign = services.campaign_resume(merchant=merchant, campaign_id=campaign_id)
    except LeadError as exc:
        if exc.code == errors.CAMPAIGN_NOT_FOUND:
            raise Http404 from None
        return _campaigns_answer(request, merchant, error=exc.message)
    return _campaigns_answer(request, merchant, ok=_("Campagne « %(name)s » reprise.") % {"name": campaign.name})
