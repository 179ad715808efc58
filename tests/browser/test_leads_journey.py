"""The marketplace in a real browser: an influencer signs up and brings a lead (with the
live commission preview), the merchant logs in and validates it in place (htmx), and the
deposit and the ledger move."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from leads.models import Lead, LedgerEntry
from tests.leads.factories import make_campaign, make_merchant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PASSWORD = "pw-Journey-Leads-42"


def test_influencer_creates_a_lead_and_the_merchant_validates_it(new_context):
    # given: a merchant with 5 000 dhs and a campaign
    merchant = make_merchant(balance=5000, company="Atlas Digital")
    merchant.user.set_password(PASSWORD)
    merchant.user.save()
    campaign = make_campaign(merchant, "Service Marketing Digital")

    # 1. An influencer signs up on a phone and is logged in at once.
    influencer = new_context(viewport=PHONE)
    page = influencer.new_page()
    page.goto("/leads/signup/?role=influencer")
    page.get_by_label("Influenceur").check()
    page.locator("#id_username").fill("sara")
    page.locator("#id_email").fill("sara@example.com")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_name").fill("Sara Alaoui")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url(re.compile(r"/leads/influencer/"))

    # 2. The lead, with the server's commission shown as the value is typed.
    page.locator("#id_campaign").select_option(str(campaign.pk))
    page.locator("#id_client_name").fill("Ahmed Bennani")
    page.locator("#id_client_email").fill("ahmed@example.com")
    page.locator("#id_client_phone").fill("+212 6 12 34 56 78")
    page.locator("#id_estimated_value").fill("1500")
    preview = page.get_by_test_id("commission-preview")
    expect(preview).to_contain_text("80\u00a0dhs")
    expect(preview).to_contain_text("24\u00a0dhs")
    expect(preview).to_contain_text("Fixe")
    page.get_by_role("button", name="Créer le lead").click()
    expect(page.locator("#leads")).to_contain_text("Ahmed Bennani")
    lead = Lead.objects.get(client_name="Ahmed Bennani")
    assert (lead.status, lead.commission) == ("pending", Decimal("80.00"))

    # 3. The merchant logs in and finds it pending, its commission reserved.
    shop = new_context()
    page = shop.new_page()
    page.goto("/compte/connexion/")
    page.locator("#id_username").fill(merchant.user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Se connecter")).click()
    expect(page).to_have_url(re.compile(r"/leads/merchant/"))
    deposit = page.locator("#deposit")
    expect(deposit).to_contain_text("80\u00a0dhs")
    row = page.locator(f"#lead-{lead.pk}")
    expect(row).to_contain_text("Ahmed Bennani")

    # 4. Validated in place, without a reload: the deposit card moves with it.
    url_before = page.url
    row.locator(f"#rating-{lead.pk}").select_option("9")
    row.get_by_role("button", name="Valider").click()
    expect(page.locator(f"#lead-{lead.pk}")).to_contain_text("Validé")
    expect(page.locator("#deposit")).to_contain_text("4\u202f920")
    assert page.url == url_before
    lead.refresh_from_db()
    assert (lead.status, lead.rating) == ("validated", 9)
    assert list(LedgerEntry.objects.filter(lead=lead).order_by("pk").values_list("kind", flat=True)) == [
        "reservation",
        "deduction",
        "influencer_credit",
    ]

    # 5. The ledger page shows the deduction; the influencer sees the lead validated.
    page.goto("/leads/merchant/transactions/")
    expect(page.locator("main")).to_contain_text("Déduction lead validé")
    influencer_page = influencer.pages[0]
    influencer_page.reload()
    expect(influencer_page.locator("#leads")).to_contain_text("Validé")
    expect(influencer_page.locator("#stats")).to_contain_text("24\u00a0dhs")

    assert influencer.server_errors == [] and shop.server_errors == []
