"""The leads admin's pages: every list and change page renders at a constant number of
queries, staff without the leads permissions are refused, the ledger is read-only and
exports as CSV, deposits show whether they match their ledger, and staff record bank
transfers and adjustments through the services."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.models import Deposit, InfluencerProfile, Lead, LedgerEntry, Receipt, Recharge

from .admin_helpers import MODELS, change, changelist, messages_of, populate, run_action
from .factories import fund, ledger_consistent, make_campaign, make_influencer, make_lead, make_merchant

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


# --- pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_each_changelist_runs_the_same_number_of_queries_for_1_and_10_rows(staff_client, model):
    populate(1)
    staff_client.get(changelist(model))  # warm the session and content types
    one = queries_for(staff_client, changelist(model))
    populate(9)
    assert queries_for(staff_client, changelist(model)) == one


@pytest.mark.parametrize("model", MODELS)
def test_each_change_page_renders_for_a_superuser(staff_client, model):
    populate(1)
    from django.apps import apps

    obj = apps.get_model("leads", model).objects.order_by("pk").first()
    response = staff_client.get(change(model, obj.pk))
    assert response.status_code == 200


def test_the_lead_page_shows_its_history_and_no_editable_money(staff_client):
    merchant = make_merchant(balance="1000")
    lead = make_lead(campaign=make_campaign(merchant), influencer=make_influencer(), value="1500")
    html = staff_client.get(change("lead", lead.pk)).content.decode()
    assert "Historique" in html and "En attente" in html
    assert 'name="commission"' not in html and 'name="status"' not in html
    assert "80\u00a0dhs" in html and "1\u202f500\u00a0dhs" in html


@pytest.mark.parametrize(
    "url",
    [
        *[changelist(m) for m in MODELS],
        "/admin/leads/deposit/verifier/",
        "/admin/leads/ledgerentry/export/",
        "/admin/leads/merchantprofile/add/",
    ],
)
def test_staff_without_the_leads_permissions_are_refused(client, django_user_model, url):
    staff = django_user_model.objects.create_user(username="desk", password="pw-desk-12345", is_staff=True)
    client.force_login(staff)
    assert client.get(url).status_code == 403


def test_staff_without_the_change_permission_cannot_record_a_transfer(client, django_user_model):
    merchant = make_merchant()
    staff = django_user_model.objects.create_user(username="viewer", password="pw-view-12345", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_deposit"))
    client.force_login(staff)
    assert client.get(change("deposit", merchant.deposit.pk)).status_code == 200
    url = reverse("admin:leads_deposit_transfer", args=[merchant.deposit.pk])
    assert client.post(url, {"amount": "500", "reference": "VIR-1", "paid_on": "2026-01-05"}).status_code == 403
    assert not Recharge.objects.exists()


def test_the_admin_home_lists_the_pending_leads_dashboard(staff_client):
    html = staff_client.get(reverse("admin:index")).content.decode()
    assert "Leads en attente" in html
    response = staff_client.get(reverse("admin:leads_lead_pending"))
    assert response.status_code == 302 and response["Location"].endswith("?status__exact=pending")


def test_the_age_filter_keeps_leads_of_its_band(staff_client):
    merchant = make_merchant(balance="1000")
    campaign, influencer = make_campaign(merchant), make_influencer()
    fresh = make_lead(campaign=campaign, influencer=influencer, client_name="Frais")
    old = make_lead(campaign=campaign, influencer=influencer, client_name="Ancien")
    Lead.objects.filter(pk=old.pk).update(created_at=fresh.created_at - timedelta(hours=50))
    html = staff_client.get(changelist("lead") + "?age=48-72").content.decode()
    assert "Ancien" in html and "Frais" not in html
    html = staff_client.get(changelist("lead") + "?age=lt24").content.decode()
    assert "Frais" in html and "Ancien" not in html


# --- ledger ---------------------------------------------------------------------------------


def test_the_ledger_cannot_be_added_changed_or_deleted_even_by_a_superuser(staff_client):
    merchant = make_merchant(balance="1000")
    entry = LedgerEntry.objects.get(merchant=merchant)
    assert staff_client.get(reverse("admin:leads_ledgerentry_add")).status_code == 403
    assert staff_client.get(reverse("admin:leads_ledgerentry_delete", args=[entry.pk])).status_code == 403
    page = staff_client.get(change("ledgerentry", entry.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    staff_client.post(change("ledgerentry", entry.pk), {"reason": "changed", "balance_delta": "9999"})
    entry.refresh_from_db()
    assert entry.balance_delta == Decimal("1000.00") and entry.reason != "changed"
    html = staff_client.get(changelist("ledgerentry")).content.decode()
    assert "delete_selected" not in html


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_ledger_exports_the_filtered_list_as_csv(staff_client):
    first, second = make_merchant(balance="1000"), make_merchant(balance="2000")
    make_lead(campaign=make_campaign(first), influencer=make_influencer())
    response = staff_client.get(reverse("admin:leads_ledgerentry_export") + f"?merchant__id__exact={first.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    stamp = date.today().strftime("%Y%m%d")
    assert response["Content-Disposition"] == f'attachment; filename="grand-livre-{stamp}.csv"'
    header, *rows = _csv(response)
    assert header[:3] == ["date", "type", "balance_delta"]
    # The first merchant's recharge then its reservation, in the order they were written.
    assert [(r[1], r[2], r[3]) for r in rows] == [("Recharge", "1000.00", "0.00"), ("Réservation", "0.00", "80.00")]
    assert second.pk  # not in the export
    # The button carries the list's filters.
    html = staff_client.get(changelist("ledgerentry") + f"?merchant__id__exact={first.pk}").content.decode()
    assert f"/admin/leads/ledgerentry/export/?merchant__id__exact={first.pk}" in html


def test_the_ledger_csv_action_exports_the_selected_rows(staff_client):
    merchant = make_merchant(balance="1000")
    make_lead(campaign=make_campaign(merchant), influencer=make_influencer())
    chosen = LedgerEntry.objects.filter(kind="reservation")
    response = run_action(staff_client, "ledgerentry", "export_csv", chosen)
    _header, *rows = _csv(response)
    assert [r[1] for r in rows] == ["Réservation"]


# --- deposits -------------------------------------------------------------------------------


def test_the_deposit_list_shows_level_and_ledger_match(staff_client):
    healthy = make_merchant(balance="5000", company="Atlas Digital")
    fund(healthy, "0.01")  # a new reference
    make_merchant(company="Sans Dépôt")
    html = staff_client.get(changelist("deposit")).content.decode()
    assert "Solde sain" in html and "Épuisé" in html
    assert html.count('alt="True"') == 2 and 'alt="False"' not in html


def test_a_raw_update_shows_the_deposit_as_not_matching_and_the_check_fails(staff_client):
    good, bad = make_merchant(balance="1000", company="Bon"), make_merchant(balance="1000", company="Faux")
    call_command("leads_check_ledger")  # all fine: no error
    Deposit.objects.filter(merchant=bad).update(balance=Decimal("1200.00"))
    html = staff_client.get(changelist("deposit")).content.decode()
    assert 'alt="False"' in html
    mismatched = staff_client.get(changelist("deposit") + "?ledger=mismatch").content.decode()
    assert "Faux" in mismatched and ">Bon<" not in mismatched
    response = staff_client.get(reverse("admin:leads_deposit_check"), follow=True)
    assert any("Faux" in m and "1\u202f200" in m for m in messages_of(response))
    with pytest.raises(CommandError) as exc:
        call_command("leads_check_ledger")
    assert exc.value.returncode == 1
    assert ledger_consistent(good)


def test_the_check_reports_an_influencer_whose_earnings_differ(staff_client):
    influencer = make_influencer()
    InfluencerProfile.objects.filter(pk=influencer.pk).update(earnings=Decimal("50.00"))
    with pytest.raises(CommandError):
        call_command("leads_check_ledger")


def test_the_deposit_page_lists_its_last_ledger_rows_and_the_two_forms(staff_client):
    merchant = make_merchant(balance="1000")
    html = staff_client.get(change("deposit", merchant.deposit.pk)).content.decode()
    assert "Recharge" in html and "1\u202f000" in html
    assert reverse("admin:leads_deposit_transfer", args=[merchant.deposit.pk]) in html
    assert reverse("admin:leads_deposit_adjust", args=[merchant.deposit.pk]) in html


def test_a_bank_transfer_creates_a_paid_recharge_its_receipt_and_a_ledger_row(staff_client):
    merchant = make_merchant()
    campaign = make_campaign(merchant)
    assert campaign.paused_for_deposit  # created paused: no deposit yet
    url = reverse("admin:leads_deposit_transfer", args=[merchant.deposit.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url, {"amount": "5000", "reference": "VIR-2026-118", "paid_on": "2026-01-05"}, follow=True
    )
    recharge = Recharge.objects.get(merchant=merchant)
    assert (recharge.method, recharge.status, recharge.paid_amount) == ("transfer", "paid", Decimal("5000.00"))
    assert recharge.external_reference == "VIR-2026-118" and recharge.created_by == staff_client.user
    receipt = Receipt.objects.get(recharge=recharge)
    assert any(receipt.number in m and "5\u202f000" in m for m in messages_of(response))
    entry = LedgerEntry.objects.get(recharge=recharge)
    assert (entry.kind, entry.balance_delta, entry.actor) == ("recharge", Decimal("5000.00"), staff_client.user)
    campaign.refresh_from_db()
    assert campaign.status == "active" and ledger_consistent(merchant)


@pytest.mark.parametrize(
    "data",
    [
        {"amount": "", "reference": "VIR-1", "paid_on": "2026-01-05"},
        {"amount": "-5", "reference": "VIR-1", "paid_on": "2026-01-05"},
        {"amount": "abc", "reference": "VIR-1", "paid_on": "2026-01-05"},
        {"amount": "500", "reference": "  ", "paid_on": "2026-01-05"},
        {"amount": "500", "reference": "VIR-1", "paid_on": (date.today() + timedelta(days=2)).isoformat()},
    ],
)
def test_a_bad_transfer_form_is_shown_again_with_nothing_recorded(staff_client, data):
    merchant = make_merchant()
    response = staff_client.post(reverse("admin:leads_deposit_transfer", args=[merchant.deposit.pk]), data)
    assert response.status_code == 400 and "errornote" in response.content.decode()
    assert not Recharge.objects.exists()


def test_a_manual_adjustment_moves_the_balance_with_its_reason(staff_client):
    merchant = make_merchant(balance="1000")
    url = reverse("admin:leads_deposit_adjust", args=[merchant.deposit.pk])
    response = staff_client.post(url, {"amount": "-250.50", "reason": "Geste commercial annulé"}, follow=True)
    assert any("-250,50" in m for m in messages_of(response))
    entry = LedgerEntry.objects.get(kind="adjustment")
    assert (entry.balance_delta, entry.reason, entry.actor) == (
        Decimal("-250.50"),
        "Geste commercial annulé",
        staff_client.user,
    )
    merchant.deposit.refresh_from_db()
    assert merchant.deposit.balance == Decimal("749.50") and ledger_consistent(merchant)


def test_an_adjustment_below_what_pending_leads_hold_is_refused_on_the_form(staff_client):
    merchant = make_merchant(balance="1000")
    make_lead(campaign=make_campaign(merchant), influencer=make_influencer())  # reserves 80
    url = reverse("admin:leads_deposit_adjust", args=[merchant.deposit.pk])
    response = staff_client.post(url, {"amount": "-950", "reason": "Erreur"})
    assert response.status_code == 400 and "réservé" in response.content.decode()
    assert staff_client.post(url, {"amount": "0", "reason": "Rien"}).status_code == 400
    assert staff_client.post(url, {"amount": "10", "reason": ""}).status_code == 400
    assert not LedgerEntry.objects.filter(kind="adjustment").exists() and ledger_consistent(merchant)


# --- recharges and receipts -----------------------------------------------------------------


def test_a_receipt_pdf_is_served_from_the_admin(staff_client):
    merchant = make_merchant(balance="2000")
    receipt = Receipt.objects.get(merchant=merchant)
    html = staff_client.get(changelist("recharge")).content.decode()
    pdf_url = reverse("admin:leads_receipt_pdf", args=[receipt.pk])
    assert pdf_url in html and receipt.number in html
    response = staff_client.get(pdf_url)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert content.startswith(b"%PDF") and receipt.number.encode() in content
    assert staff_client.get(reverse("admin:leads_receipt_pdf", args=[receipt.pk + 99])).status_code == 404
