"""The influencer's dashboard: "Créer un lead" with the commission previewed by the
server as it is typed (htmx), "Mes performances", "Mes leads", and payouts (bank
details, requests)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.errors import RateLimited
from core.views import form_rate_limited

from .. import payouts, selectors, services, throttle
from ..errors import LeadError
from ..forms import BankDetailsForm, LeadCreateForm, PayoutForm
from ..models import InfluencerProfile, Lead
from ..money import commission_for, minimum_value, money
from .common import form_error, influencer_required

DASHBOARD = "leads/influencer/dashboard.html"
LEADS_PAGE_SIZE = 20
# Shared with the JSON API's lead creation: one allowance per user, whichever door.
# "Mes performances" bars, in the seed's order. gettext_lazy by its name: makemessages
# does not know an alias such as `_lazy`, and these labels were missing from the catalogue.
BAR_LABELS = {
    Lead.Status.VALIDATED.value: gettext_lazy("validés"),
    Lead.Status.REJECTED.value: gettext_lazy("rejetés"),
    Lead.Status.PENDING.value: gettext_lazy("en attente"),
    Lead.Status.EXPIRED.value: gettext_lazy("expirés"),
}


def preview_context(raw) -> dict:
    """The commission the server's rule gives for what was typed (leads.money)."""
    raw = (raw or "").strip()
    if not raw:
        return {"preview": None}
    try:
        commission = commission_for(services.estimated_value_parse(raw))
    except (LeadError, ValueError):
        return {"preview": {"error": _("au moins %(minimum)s") % {"minimum": money(minimum_value())}}}
    rate = Decimal(settings.LEADS_INFLUENCER_RATE) * 100
    commission_rate = Decimal(settings.LEADS_COMMISSION_RATE) * 100
    threshold = Decimal(settings.LEADS_COMMISSION_CAP) / Decimal(settings.LEADS_COMMISSION_RATE)
    return {
        "preview": {
            "commission": commission,
            "influencer_rate": rate.normalize(),
            "commission_rate": commission_rate.normalize(),
            "threshold": threshold,
        }
    }


def dashboard_context(request: HttpRequest, influencer: InfluencerProfile, **overrides) -> dict:
    campaigns = list(selectors.active_campaigns())
    leads = Paginator(selectors.lead_list(influencer=influencer), LEADS_PAGE_SIZE).get_page(request.GET.get("page"))
    stats = selectors.influencer_stats(influencer=influencer)
    context = {
        "influencer": influencer,
        "form": LeadCreateForm(campaigns=campaigns),
        "preview": None,
        "stats": stats,
        "bars": [
            {"status": status, "label": label, "share": stats["shares"][status], "count": stats["by_status"][status]}
            for status, label in BAR_LABELS.items()
        ],
        "leads_page": leads,
        "payouts": list(selectors.payouts_for(influencer=influencer)[:20]),
        "bank_form": BankDetailsForm(initial={"bank_holder": influencer.bank_holder, "bank_rib": influencer.bank_rib}),
        "payout_form": PayoutForm(initial={"amount": formats.number_format(stats["available_earnings"], 2)}),
        "payout_minimum": settings.LEADS_PAYOUT_MINIMUM,
        "campaigns": campaigns,
    }
    context.update(overrides)
    return context


@require_GET
@influencer_required
def dashboard(request: HttpRequest, influencer: InfluencerProfile) -> HttpResponse:
    return render(request, DASHBOARD, dashboard_context(request, influencer))


@require_GET
@influencer_required
def commission_preview(request: HttpRequest, influencer: InfluencerProfile) -> HttpResponse:
    return render(request, "leads/influencer/_preview.html", preview_context(request.GET.get("estimated_value")))


@require_POST
@influencer_required
def lead_create(request: HttpRequest, influencer: InfluencerProfile) -> HttpResponse:
    campaigns = list(selectors.active_campaigns())
    form = LeadCreateForm(request.POST, campaigns=campaigns)
    context = dashboard_context(
        request, influencer, form=form, **preview_context(request.POST.get("estimated_value")), campaigns=campaigns
    )
    try:
        throttle.lead_create_enforce(
            request,
            message=_("Vous avez créé beaucoup de leads d'un coup. Réessayez dans %(wait)s : votre saisie est gardée."),
        )
    except RateLimited as exc:
        return form_rate_limited(request, DASHBOARD, context, exc)
    if not form.is_valid():
        return render(request, DASHBOARD, context, status=400)
    data = form.cleaned_data
    try:
        lead = services.lead_create(
            influencer=influencer,
            campaign_id=data["campaign"],
            client_name=data["client_name"],
            client_email=data["client_email"],
            client_phone=data["client_phone"],
            company=data["company"],
            estimated_value=data["estimated_value"],
            source=data["source"],
            notes=data["notes"],
            actor=request.user,
        )
    except LeadError as exc:
        form_error(form, exc)
        return render(request, DASHBOARD, context, status=409)
    messages.success(
        request,
        _("Lead de %(client)s créé : %(amount)s pour vous s'il est validé.")
        % {"client": lead.client_name, "amount": money(lead.influencer_share)},
        # Shown in the section the page scrolls to (core/_messages.html), not above it.
        extra_tags="create",
    )
    # A new page (and a blank form): reloading it does not send the lead again.
    return redirect(reverse("leads:influencer") + "#create")


@require_POST
@influencer_required
def bank_details(request: HttpRequest, influencer: InfluencerProfile) -> HttpResponse:
    form = BankDetailsForm(request.POST)
    if not form.is_valid():
        return render(request, DASHBOARD, dashboard_context(request, influencer, bank_form=form), status=400)
    payouts.influencer_bank_details_set(influencer=influencer, **form.cleaned_data)
    messages.success(request, _("Coordonnées bancaires enregistrées."), extra_tags="payouts")
    return redirect(reverse("leads:influencer") + "#payouts")


@require_POST
@influencer_required
def payout_request(request: HttpRequest, influencer: InfluencerProfile) -> HttpResponse:
    form = PayoutForm(request.POST)
    if form.is_valid():
        try:
            payout = payouts.payout_request(
                influencer=influencer, amount=form.cleaned_data["amount"] or None, actor=request.user
            )
        except LeadError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request,
                _("Demande de paiement de %(amount)s envoyée : nous vous tiendrons informé.")
                % {"amount": money(payout.amount)},
                extra_tags="payouts",
            )
            return redirect(reverse("leads:influencer") + "#payouts")
    return render(request, DASHBOARD, dashboard_context(request, influencer, payout_form=form), status=409)
