"""The merchant's dashboard: its sections with real figures, validating and rejecting in
place (htmx) or by plain POST, campaigns, receipts, the ledger, access between accounts."""

from decimal import Decimal

import pytest

from leads.models import Campaign, Deposit, Lead, LedgerEntry
from notifications.services import notification_send

from .factories import make_campaign, make_influencer, make_lead, make_merchant

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture
def shop():
    merchant = make_merchant(balance="5000", company="Atlas Services")
    campaign = make_campaign(merchant, "Marketing digital")
    influencer = make_influencer()
    return merchant, campaign, influencer


def _login(client, profile):
    client.force_login(profile.user)
    return client


def test_the_dashboard_shows_the_deposit_the_pending_leads_and_their_total(client, shop):
    merchant, campaign, influencer = shop
    make_lead(campaign=campaign, influencer=influencer, value="1500", client_name="Ahmed Bennani")
    make_lead(campaign=campaign, influencer=influencer, value="600", client_name="Sara Alaoui")
    html = _login(client, merchant).get("/leads/merchant/").content.decode()
    assert 'id="deposit"' in html and "level-healthy" in html
    assert "5\u202f000\u00a0dhs" in html  # balance
    assert "140\u00a0dhs" in html  # reserved: 80 + 60
    assert "4\u202f860\u00a0dhs" in html  # available
    assert "100\u00a0%" in html and "Solde sain" in html
    assert 'id="pending"' in html and "Ahmed Bennani" in html and "Sara Alaoui" in html
    assert "Total\u00a0: 2 leads • 140\u00a0dhs à valider" in html
    assert "Valider" in html and "Rejeter" in html
    assert "Marketing digital" in html  # campaigns
    assert "/leads/merchant/transactions/" in html and "/compte/jetons/" in html and "/api/leads/docs" in html


def test_the_deposit_card_colours_a_warning_level(client):
    merchant = make_merchant(balance="5000")
    from leads.recharges import deposit_adjust

    deposit_adjust(merchant=merchant, amount="-4200", reason="test", actor=None)
    html = _login(client, merchant).get("/leads/merchant/").content.decode()
    assert "level-warning" in html and "Avertissement" in html and "16\u00a0%" in html


def test_a_merchant_without_any_recharge_sees_an_empty_ring(client):
    merchant = make_merchant()
    html = _login(client, merchant).get("/leads/merchant/").content.decode()
    assert "Aucune recharge pour l" in html and "level-depleted" in html


def test_validating_with_htmx_returns_the_row_and_the_deposit_card_out_of_band(client, shop):
    merchant, campaign, influencer = shop
    lead = make_lead(campaign=campaign, influencer=influencer, value="1500")
    response = _login(client, merchant).post(
        f"/leads/merchant/leads/{lead.pk}/validate/", {"rating": "9", "feedback": "Très bon"}, headers=HX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<tbody class="lead-item lead-resolved" id="lead-')
    assert "Validé" in html and "note 9/10" in html
    assert 'id="deposit"' in html and 'hx-swap-oob="true"' in html
    assert "4\u202f920\u00a0dhs" in html  # the new balance
    assert 'id="pending-total"' in html and "Total\u00a0: 0 lead" in html
    lead.refresh_from_db()
    assert (lead.status, lead.rating, lead.feedback) == ("validated", 9, "Très bon")
    deposit = Deposit.objects.get(merchant=merchant)
    assert (deposit.balance, deposit.reserved) == (Decimal("4920.00"), Decimal("0.00"))
    assert LedgerEntry.objects.filter(lead=lead, kind="deduction").exists()


def test_validating_by_plain_post_redirects_with_a_message(client, shop):
    merchant, campaign, influencer = shop
    lead = make_lead(campaign=campaign, influencer=influencer, value="600", client_name="Sara Alaoui")
    response = _login(client, merchant).post(f"/leads/merchant/leads/{lead.pk}/validate/", {"rating": "7"})
    assert response.status_code == 302 and response["Location"] == "/leads/merchant/#pending"
    page = client.get("/leads/merchant/").content.decode()
    assert "Lead de Sara Alaoui validé\u00a0: 60\u00a0dhs déduits du dépôt." in page
    assert Deposit.objects.get(merchant=merchant).balance == Decimal("4940.00")


def test_rejecting_releases_the_reservation_in_place(client, shop):
    merchant, campaign, influencer = shop
    lead = make_lead(campaign=campaign, influencer=influencer, value="1500")
    response = _login(client, merchant).post(
        f"/leads/merchant/leads/{lead.pk}/reject/", {"reason": "Injoignable"}, headers=HX
    )
    assert response.status_code == 200
    assert "Rejeté" in response.content.decode() and "Injoignable" in response.content.decode()
    deposit = Deposit.objects.get(merchant=merchant)
    assert (deposit.balance, deposit.reserved) == (Decimal("5000.00"), Decimal("0.00"))


def test_rejecting_without_a_reason_is_refused_in_the_row(client, shop):
    merchant, campaign, influencer = shop
    lead = make_lead(campaign=campaign, influencer=influencer)
    response = _login(client, merchant).post(f"/leads/merchant/leads/{lead.pk}/reject/", {"reason": " "}, headers=HX)
    assert response.status_code == 422
    assert "Indiquez le motif du rejet." in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).status == "pending"


def test_a_bad_rating_is_shown_in_the_row(client, shop):
    merchant, campaign, influencer = shop
    lead = make_lead(campaign=campaign, influencer=influencer)
    response = _login(client, merchant).post(f"/leads/merchant/leads/{lead.pk}/validate/", {"rating": "11"}, headers=HX)
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).status == "pending"


def test_a_second_resolution_is_an_error_message_not_a_500(client, shop):
    merchant, campaign, influencer = shop
    lead = make_lead(campaign=campaign, influencer=influencer)
    _login(client, merchant).post(f"/leads/merchant/leads/{lead.pk}/validate/", {"rating": "8"}, headers=HX)
    again = client.post(f"/leads/merchant/leads/{lead.pk}/reject/", {"reason": "Trop tard"}, headers=HX)
    assert again.status_code == 422
    assert "Ce lead est déjà traité (Validé)." in again.content.decode()
    plain = client.post(f"/leads/merchant/leads/{lead.pk}/validate/", {"rating": "8"})
    assert plain.status_code == 302
    assert "Ce lead est déjà traité" in client.get("/leads/merchant/").content.decode()
    assert LedgerEntry.objects.filter(lead=lead, kind="deduction").count() == 1


def test_a_merchant_cannot_see_or_act_on_another_merchants_lead(client, shop):
    merchant, campaign, influencer = shop
    lead = make_lead(campaign=campaign, influencer=influencer, client_name="Client de A")
    other = make_merchant(balance="1000")
    _login(client, other)
    assert "Client de A" not in client.get("/leads/merchant/").content.decode()
    assert client.post(f"/leads/merchant/leads/{lead.pk}/validate/", {"rating": "8"}).status_code == 404
    assert client.post(f"/leads/merchant/leads/{lead.pk}/reject/", {"reason": "x"}, headers=HX).status_code == 404
    assert Lead.objects.get(pk=lead.pk).status == "pending"


def test_an_influencer_cannot_open_the_merchant_dashboard(client):
    influencer = make_influencer()
    response = _login(client, influencer).get("/leads/merchant/")
    assert response.status_code == 403
    assert 'data-testid="forbidden"' in response.content.decode()


def test_a_visitor_is_sent_to_the_login_page(client):
    response = client.get("/leads/merchant/")
    assert response.status_code == 302 and response["Location"].startswith("/compte/connexion/?next=")


def test_the_dashboard_lists_the_last_unread_notifications(client, shop):
    merchant, _, _ = shop
    notification_send(user=merchant.user, kind="info", text="Bienvenue chez nous", link="/leads/merchant/")
    html = _login(client, merchant).get("/leads/merchant/").content.decode()
    assert 'id="dashboard-notifications"' in html and "Bienvenue chez nous" in html


# --- campaigns --------------------------------------------------------------------------


def test_a_campaign_is_created_paused_and_resumed_with_htmx(client, shop):
    merchant, _, _ = shop
    _login(client, merchant)
    data = {"name": "Été 2026", "description": "Climatisation"}
    created = client.post("/leads/merchant/campaigns/", data, headers=HX)
    assert created.status_code == 200
    assert "Campagne «\u00a0Été 2026\u00a0» créée." in created.content.decode()
    campaign = Campaign.objects.get(name="Été 2026")
    paused = client.post(f"/leads/merchant/campaigns/{campaign.pk}/pause/", headers=HX)
    assert "en pause" in paused.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == "paused"
    resumed = client.post(f"/leads/merchant/campaigns/{campaign.pk}/resume/", headers=HX)
    assert resumed.status_code == 200 and Campaign.objects.get(pk=campaign.pk).status == "active"


def test_a_campaign_is_edited_by_plain_post(client, shop):
    merchant, campaign, _ = shop
    response = _login(client, merchant).post(
        f"/leads/merchant/campaigns/{campaign.pk}/", {"name": "Nouveau nom", "description": "Texte"}
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.description) == ("Nouveau nom", "Texte")


def test_a_campaign_without_a_name_re_renders_the_form(client, shop):
    merchant, _, _ = shop
    _login(client, merchant)
    response = client.post("/leads/merchant/campaigns/", {"name": ""})
    assert response.status_code == 400 and 'id="deposit"' in response.content.decode()
    htmx = client.post("/leads/merchant/campaigns/", {"name": ""}, headers=HX)
    assert htmx.status_code == 422 and 'id="campaigns"' in htmx.content.decode()


def test_resuming_with_a_depleted_deposit_says_so(client):
    merchant = make_merchant()
    campaign = make_campaign(merchant)
    response = _login(client, merchant).post(f"/leads/merchant/campaigns/{campaign.pk}/resume/", headers=HX)
    assert response.status_code == 422
    assert "Votre dépôt est épuisé" in response.content.decode()


def test_another_merchants_campaign_is_not_found(client, shop):
    _, campaign, _ = shop
    _login(client, make_merchant())
    assert client.post(f"/leads/merchant/campaigns/{campaign.pk}/pause/").status_code == 404
    assert Campaign.objects.get(pk=campaign.pk).status == "active"


# --- receipts and ledger ----------------------------------------------------------------


def test_a_merchant_downloads_its_receipt_but_not_anothers(client, shop):
    merchant, _, _ = shop
    receipt = merchant.receipts.get()
    _login(client, merchant)
    html = client.get("/leads/merchant/").content.decode()
    assert f"/leads/merchant/receipts/{receipt.number}.pdf" in html
    response = client.get(f"/leads/merchant/receipts/{receipt.number}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"%PDF")
    _login(client, make_merchant())
    assert client.get(f"/leads/merchant/receipts/{receipt.number}.pdf").status_code == 404


def test_the_ledger_page_and_its_csv_export(client, shop):
    merchant, campaign, influencer = shop
    make_lead(campaign=campaign, influencer=influencer, value="1500")
    _login(client, merchant)
    page = client.get("/leads/merchant/transactions/")
    assert page.status_code == 200 and "Exporter en CSV" in page.content.decode()
    export = client.get("/leads/merchant/transactions.csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert "attachment" in export["Content-Disposition"]
    text = b"".join(export.streaming_content).decode("utf-8")
    assert text.startswith("\ufeffdate,type,balance_delta,reserved_delta")
    lines = text.strip().splitlines()
    assert len(lines) == 3  # header, the recharge, the reservation
    assert any(",5000.00," in line for line in lines) and any(",80.00," in line for line in lines)


def test_the_csv_export_holds_only_the_merchants_own_rows(client, shop):
    merchant, _, _ = shop
    other = make_merchant(balance="777")
    _login(client, other)
    text = b"".join(client.get("/leads/merchant/transactions.csv").streaming_content).decode()
    assert "777.00" in text and "5000.00" not in text


# --- hot path ---------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 10])
def test_the_dashboard_renders_in_a_constant_number_of_queries(client, shop, django_assert_num_queries, count):
    merchant, campaign, influencer = shop
    for _ in range(count):
        make_lead(campaign=campaign, influencer=influencer, value="100")
    for _ in range(count):
        lead = make_lead(campaign=campaign, influencer=influencer, value="100")
        from leads.services import lead_reject

        lead_reject(lead_id=lead.pk, merchant=merchant, reason="non")
    _login(client, merchant)
    client.get("/leads/merchant/")  # the session and the unread count are cached from here
    with django_assert_num_queries(11):
        assert client.get("/leads/merchant/").status_code == 200
