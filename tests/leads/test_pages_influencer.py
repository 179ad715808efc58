"""The influencer's dashboard: creating a lead (each refusal shown with what was typed),
the commission preview, performances, leads, payouts; access and query counts."""

from decimal import Decimal

import pytest

from leads import services
from leads.models import Deposit, Lead, Payout

from .factories import make_campaign, make_influencer, make_lead, make_merchant

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(client):
    merchant = make_merchant(balance="5000", company="Atlas Services")
    campaign = make_campaign(merchant, "Marketing digital")
    influencer = make_influencer()
    client.force_login(influencer.user)
    return client, merchant, campaign, influencer


def _lead(campaign, **overrides):
    data = {
        "campaign": str(campaign.pk),
        "client_name": "Ahmed Bennani",
        "client_email": "ahmed@example.com",
        "client_phone": "+212 6 12 34 56 78",
        "company": "TechCorp",
        "estimated_value": "1500",
        "source": "instagram",
        "notes": "Intéressé par le pack premium",
    }
    return {**data, **overrides}


def test_the_dashboard_lists_active_campaigns_as_campaign_and_company(setup):
    client, _, campaign, _ = setup
    html = client.get("/leads/influencer/").content.decode()
    assert f'<option value="{campaign.pk}">Marketing digital · Atlas Services</option>' in html
    assert 'hx-get="/leads/influencer/commission/"' in html and 'hx-trigger="input changed delay:300ms, change"' in html
    for section in ('id="create"', 'id="stats"', 'id="leads"', 'id="payouts"'):
        assert section in html
    assert "Créer le lead" in html


def test_creating_a_lead_reserves_its_commission_and_clears_the_form(setup):
    client, merchant, campaign, influencer = setup
    response = client.post("/leads/influencer/leads/", _lead(campaign))
    assert response.status_code == 302 and response["Location"] == "/leads/influencer/#create"
    lead = Lead.objects.get()
    assert (lead.influencer, lead.status, lead.commission) == (influencer, "pending", Decimal("80.00"))
    assert Deposit.objects.get(merchant=merchant).reserved == Decimal("80.00")
    page = client.get("/leads/influencer/").content.decode()
    assert "Lead de Ahmed Bennani créé\u00a0: 24\u00a0dhs pour vous" in page
    assert 'value="Ahmed Bennani"' not in page  # a blank form
    assert "Ahmed Bennani" in page  # in "Mes leads"


def _refused(client, data, text):
    response = client.post("/leads/influencer/leads/", data)
    assert response.status_code in (400, 409)
    html = response.content.decode()
    assert text in html
    assert 'value="Ahmed Bennani"' in html and "Intéressé par le pack premium" in html  # kept
    return html


def test_a_paused_campaign_is_refused_with_the_typed_values_kept(setup):
    client, merchant, campaign, _ = setup
    services.campaign_pause(merchant=merchant, campaign_id=campaign.pk)
    _refused(client, _lead(campaign), "Cette campagne est en pause")
    assert not Lead.objects.exists()


def test_an_unknown_campaign_is_refused(setup):
    client, _, campaign, _ = setup
    _refused(client, {**_lead(campaign), "campaign": "999999"}, "Campagne introuvable.")


def test_an_insufficient_deposit_is_refused(setup):
    client, _, _, _ = setup
    poor = make_merchant(balance="500")
    campaign = make_campaign(poor, "Petite campagne")
    for _ in range(6):
        make_lead(campaign=campaign, influencer=make_influencer(), value="800")
    _refused(client, _lead(campaign), "Le dépôt du marchand ne couvre plus la commission")


def test_a_duplicate_client_is_refused(setup):
    client, _, campaign, _ = setup
    make_lead(campaign=campaign, influencer=make_influencer(), email="ahmed@example.com")
    html = _refused(client, _lead(campaign), "Ce client a déjà été proposé à cette campagne")
    assert Lead.objects.count() == 1
    assert "has-error" in html


def test_an_estimated_value_below_the_minimum_is_refused_on_its_field(setup):
    client, _, campaign, _ = setup
    html = _refused(client, _lead(campaign, estimated_value="9.99"), "La valeur estimée doit être d")
    assert 'value="9.99"' in html
    assert "au moins 10\u00a0dhs" in html  # the preview, rendered by the server too


def test_a_lead_without_email_nor_phone_is_refused(setup):
    client, _, campaign, _ = setup
    _refused(client, _lead(campaign, client_email="", client_phone=""), "Indiquez l")


def test_lead_creation_is_rate_limited_with_a_429_keeping_the_form(setup, settings, frozen_clock):
    client, _, campaign, _ = setup
    settings.LEADS_RATE_CREATE = "2/m"  # raised to the burst of 20 (leads.throttle)
    for n in range(20):
        client.post("/leads/influencer/leads/", _lead(campaign, client_email=f"c{n}@example.com", client_phone=""))
    response = client.post("/leads/influencer/leads/", _lead(campaign, client_email="c99@example.com"))
    assert response.status_code == 429 and response["Retry-After"]
    assert 'data-testid="rate-limited"' in response.content.decode()
    assert 'value="Ahmed Bennani"' in response.content.decode()
    assert Lead.objects.count() == 20


def test_the_form_and_the_api_share_one_allowance(setup, settings, frozen_clock):
    client, _, campaign, _ = setup
    settings.LEADS_RATE_CREATE = "20/m"
    for n in range(10):
        client.post("/leads/influencer/leads/", _lead(campaign, client_email=f"f{n}@example.com", client_phone=""))
    for n in range(10):
        body = {**_lead(campaign, client_email=f"a{n}@example.com", client_phone=""), "campaign_id": campaign.pk}
        body.pop("campaign", None)
        response = client.post("/api/leads/create", body, content_type="application/json")
        assert response.status_code == 201, response.content
    response = client.post("/leads/influencer/leads/", _lead(campaign, client_email="last@example.com"))
    assert response.status_code == 429
    assert Lead.objects.count() == 20


@pytest.mark.parametrize(
    ("value", "texts"),
    [
        ("799.99", ["80\u00a0dhs", "24\u00a0dhs", "10\u00a0% de la valeur"]),
        ("800", ["80\u00a0dhs", "24\u00a0dhs", "Fixe (≥ 800\u00a0dhs)", "(30\u00a0%)"]),
        ("300", ["30\u00a0dhs", "9\u00a0dhs"]),
        ("9.99", ["au moins 10\u00a0dhs"]),
        ("abc", ["au moins 10\u00a0dhs"]),
    ],
)
def test_the_commission_preview_follows_the_servers_rule(setup, value, texts):
    client, _, _, _ = setup
    response = client.get("/leads/influencer/commission/", {"estimated_value": value})
    assert response.status_code == 200
    html = response.content.decode()
    for text in texts:
        assert text in html


def test_the_preview_of_nothing_is_a_hint(setup):
    client, _, _, _ = setup
    assert "Saisissez la valeur estimée" in client.get("/leads/influencer/commission/").content.decode()


def test_performances_and_leads_show_every_status_expired_included(setup):
    client, merchant, campaign, influencer = setup
    validated = make_lead(campaign=campaign, influencer=influencer, value="1500")
    services.lead_validate(lead_id=validated.pk, merchant=merchant, rating=8)
    rejected = make_lead(campaign=campaign, influencer=influencer, value="600")
    services.lead_reject(lead_id=rejected.pk, merchant=merchant, reason="Hors zone")
    make_lead(campaign=campaign, influencer=influencer, value="300")
    expired = make_lead(campaign=campaign, influencer=influencer, value="300")
    from datetime import timedelta

    from django.utils import timezone

    from leads.jobs import leads_expire

    Lead.objects.filter(pk=expired.pk).update(created_at=timezone.now() - timedelta(hours=80))
    leads_expire()
    html = client.get("/leads/influencer/").content.decode()
    assert '<dd data-testid="stats-total">4</dd>' in html
    assert '<dd data-testid="stats-rate">33,3\u00a0%</dd>' in html  # 1 validated out of 3 resolved
    assert '<dd data-testid="stats-earned">24\u00a0dhs</dd>' in html
    assert 'style="width: 25.0%"' in html
    assert "Expiré" in html and "Rejeté" in html and "Hors zone" in html


def test_bank_details_then_a_payout_request(setup):
    client, merchant, campaign, influencer = setup
    for _ in range(5):
        lead = make_lead(campaign=campaign, influencer=influencer, value="1500")
        services.lead_validate(lead_id=lead.pk, merchant=merchant, rating=8)
    refused = client.post("/leads/influencer/payouts/", {"amount": ""})
    assert refused.status_code == 409 and "Renseignez d" in refused.content.decode()
    saved = client.post(
        "/leads/influencer/bank/", {"bank_holder": "Sara Alaoui", "bank_rib": "0117 8000 0012 3456 7890 1234"}
    )
    assert saved.status_code == 302
    influencer.refresh_from_db()
    assert influencer.bank_rib == "011780000012345678901234"
    html = client.get("/leads/influencer/").content.decode()
    assert 'value="120,00"' in html  # the amount defaults to the available earnings
    below = client.post("/leads/influencer/payouts/", {"amount": "50"})
    assert below.status_code == 409 and "Un paiement se demande à partir de 100\u00a0dhs." in below.content.decode()
    assert client.post("/leads/influencer/payouts/", {"amount": ""}).status_code == 302
    payout = Payout.objects.get()
    assert (payout.amount, payout.status, payout.bank_holder) == (Decimal("120.00"), "requested", "Sara Alaoui")
    page = client.get("/leads/influencer/").content.decode()
    assert "Demande de paiement de 120\u00a0dhs envoyée" in page and "Demandé" in page


def test_a_bad_rib_is_refused_on_its_field(setup):
    client, _, _, influencer = setup
    response = client.post("/leads/influencer/bank/", {"bank_holder": "Sara", "bank_rib": "12-34"})
    assert response.status_code == 400 and "RIB invalide" in response.content.decode()


def test_a_merchant_cannot_open_the_influencer_dashboard(client):
    merchant = make_merchant()
    client.force_login(merchant.user)
    assert client.get("/leads/influencer/").status_code == 403
    assert client.post("/leads/influencer/leads/", {}).status_code == 403


@pytest.mark.parametrize("count", [1, 10])
def test_the_dashboard_renders_in_a_constant_number_of_queries(setup, django_assert_num_queries, count):
    client, merchant, campaign, influencer = setup
    for _ in range(count):
        make_lead(campaign=campaign, influencer=influencer, value="100")
        make_campaign(merchant, "Autre")
    client.get("/leads/influencer/")
    with django_assert_num_queries(10):
        assert client.get("/leads/influencer/").status_code == 200
