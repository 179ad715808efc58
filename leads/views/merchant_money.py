"""The merchant's money pages: the recharge (the dashboard's dialog, or its own page
without JavaScript), the return from the hosted checkout (a status panel polled by
htmx until the webhook has credited the deposit), receipts, the ledger and its CSV."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from payments.errors import HTTP_STATUS, PAYMENT_NOT_CONFIGURED, PaymentError

from .. import selectors
from ..errors import LeadError
from ..forms import RechargeForm
from ..models import MerchantProfile, Receipt, Recharge
from ..receipts import receipt_pdf_response
from ..recharges import recharge_start
from .common import form_error, fragments, merchant_required
from .merchant import deposit_context, recharge_dialog_context

RECHARGE_PAGE = "leads/merchant/recharge.html"
LEDGER_PAGE_SIZE = 50
# The states after which the return panel stops polling.
FINAL = {Recharge.Status.PAID, Recharge.Status.FAILED, Recharge.Status.EXPIRED}


def _recharge_context(merchant: MerchantProfile, form: RechargeForm) -> dict:
    return {"merchant": merchant, **recharge_dialog_context(form)}


@require_http_methods(["GET", "POST"])
@merchant_required
def recharge(request: HttpRequest, merchant: MerchantProfile) -> HttpResponse:
    """GET: the form (the dialog's content, on a page of its own). POST (from either):
    start the checkout and go to the provider's page."""
    if request.method != "POST":
        return render(request, RECHARGE_PAGE, _recharge_context(merchant, RechargeForm()))
    form = RechargeForm(request.POST)
    if not form.is_valid():
        return render(request, RECHARGE_PAGE, _recharge_context(merchant, form), status=400)
    try:
        started = recharge_start(merchant=merchant, amount=form.cleaned_data["amount"], actor=request.user)
    except LeadError as exc:
        form_error(form, exc)
        return render(request, RECHARGE_PAGE, _recharge_context(merchant, form), status=400)
    except PaymentError as exc:
        if exc.code == PAYMENT_NOT_CONFIGURED:
            form.add_error(None, exc.message)
        else:
            form.add_error(None, _("Le service de paiement ne répond pas, réessayez dans quelques instants."))
        return render(request, RECHARGE_PAGE, _recharge_context(merchant, form), status=HTTP_STATUS.get(exc.code, 502))
    return redirect(started.checkout_url)


@never_cache
@require_GET
@merchant_required
def recharge_status(request: HttpRequest, merchant: MerchantProfile, recharge_id: int) -> HttpResponse:
    """The return panel again (htmx polls it every 3 s while the payment is pending); once
    paid, the deposit card follows out of band with the new figures."""
    found = selectors.recharge_for(merchant=merchant, recharge_id=recharge_id)
    if found is None:
        raise Http404
    parts = [("leads/merchant/_recharge_status.html", {"panel": {"recharge": found, "cancelled": False}})]
    if found.status == Recharge.Status.PAID:
        parts.append(("leads/merchant/_deposit.html", {**deposit_context(merchant), "oob": True}))
    return fragments(request, *parts)


@require_GET
@merchant_required
def receipt_download(request: HttpRequest, merchant: MerchantProfile, number: str) -> HttpResponse:
    receipt = Receipt.objects.filter(merchant=merchant, number=number).first()
    if receipt is None:
        raise Http404
    return receipt_pdf_response(receipt)


@require_GET
@merchant_required
def transactions(request: HttpRequest, merchant: MerchantProfile) -> HttpResponse:
    page = Paginator(selectors.ledger_for(merchant=merchant), LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "leads/merchant/transactions.html", {"page": page})


@require_GET
@merchant_required
def transactions_csv(request: HttpRequest, merchant: MerchantProfile) -> StreamingHttpResponse:
    entries = selectors.ledger_for(merchant=merchant).iterator(chunk_size=500)
    response = StreamingHttpResponse(selectors.ledger_csv(entries), content_type="text/csv; charset=utf-8")
    filename = f"transactions-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
