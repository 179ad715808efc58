"""A merchant's money: the deposit, online recharges and their status, the ledger, the
receipts and their PDF."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from .. import errors, recharges, selectors
from ..errors import LeadError
from ..receipts import receipt_pdf_response
from .answers import deposit_json, receipt_json, recharge_json, transaction_json
from .common import _merchant, paginate
from .schemas import DepositOut, Id, PageQuery, ReceiptOut, RechargeIn, RechargeOut, RechargeStartedOut, TransactionPage

router = Router(tags=["deposit"])

PDF = {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}


@router.get("deposit", response=DepositOut, url_name="deposit", summary="The merchant's deposit")
def deposit(request: HttpRequest):
    return deposit_json(selectors.merchant_deposit(merchant=_merchant(request)))


@router.post(
    "deposits/recharge", response={201: RechargeStartedOut}, url_name="recharge", summary="Start an online recharge"
)
def recharge_start(request: HttpRequest, payload: RechargeIn):
    """A hosted checkout page for `amount` MAD; the deposit is credited by the provider's
    webhook. 422 AMOUNT_INVALID outside the bounds; 502 PAYMENT_PROVIDER_ERROR when the
    provider cannot be reached; 503 PAYMENT_NOT_CONFIGURED without online payment."""
    recharge = recharges.recharge_start(merchant=_merchant(request), amount=payload.amount, actor=request.user)
    started = {
        "checkout_url": recharge.checkout_url,
        "session_id": recharge.session_id,
        "recharge_id": recharge.pk,
        "status": recharge.status,
    }
    return Status(201, started)


@router.get("deposits/recharges/{id}", response=RechargeOut, url_name="recharge-detail", summary="A recharge's status")
def recharge_detail(request: HttpRequest, id: Id):  # noqa: A002 - the path's name
    """For the return page: paid once the webhook has credited it. 404 RECHARGE_NOT_FOUND."""
    recharge = selectors.recharge_for(merchant=_merchant(request), recharge_id=id)
    if recharge is None:
        raise LeadError(errors.RECHARGE_NOT_FOUND, _("Recharge introuvable."))
    return recharge_json(recharge)


@router.get(
    "deposit/transactions", response=TransactionPage, url_name="transactions", summary="The deposit's ledger, paginated"
)
def transactions(request: HttpRequest, query: Query[PageQuery]):
    entries = selectors.ledger_for(merchant=_merchant(request))
    rows, page = paginate(entries, page=query.page, page_size=query.page_size)
    return {**page, "items": [transaction_json(entry) for entry in rows]}


@router.get("receipts", response=list[ReceiptOut], url_name="receipts", summary="The merchant's receipts")
def receipt_list(request: HttpRequest):
    return [
        receipt_json(receipt, url=reverse("leads-api:receipt-pdf", kwargs={"number": receipt.number}))
        for receipt in selectors.receipts_for(merchant=_merchant(request))
    ]


@router.get(
    "receipts/{number}.pdf",
    url_name="receipt-pdf",
    summary="A receipt as PDF",
    openapi_extra={"responses": {200: {"description": "The receipt (application/pdf)", **PDF}}},
)
def receipt_download(request: HttpRequest, number: str):
    """The stored PDF, or the receipt drawn again if it was not stored (yet). 404
    RECEIPT_NOT_FOUND for another merchant's receipt."""
    merchant = _merchant(request)
    receipt = selectors.receipts_for(merchant=merchant).filter(number=number).first()
    if receipt is None:
        raise LeadError(errors.RECEIPT_NOT_FOUND, _("Reçu introuvable."))
    receipt.merchant = merchant
    return receipt_pdf_response(receipt, attachment=True)
