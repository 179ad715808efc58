"""The marketplace's admin lists fit beside the menu and the filters at 1280 px: no
sideways scroll inside the results table."""

from decimal import Decimal

import pytest

from leads.models import Payout
from tests.leads.factories import make_campaign, make_influencer, make_lead, make_merchant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTS = ["lead", "deposit", "merchantprofile", "influencerprofile", "ledgerentry", "payout", "campaign"]


def test_leads_admin_lists_fit_at_1280_px(new_context, django_user_model):
    merchant = make_merchant(balance=5000, company="Riad Événements et Réceptions")
    influencer = make_influencer()
    make_lead(
        campaign=make_campaign(merchant, "Mariages et fiançailles 2027"),
        influencer=influencer,
        email="une.adresse.assez.longue@exemple-de-domaine.ma",
    )
    Payout.objects.create(
        influencer=influencer, amount=Decimal("150.00"), bank_holder="Sara Alaoui", bank_rib="011780000012345678901234"
    )
    django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-Boss-Admin-42")
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto("/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-Boss-Admin-42")
    page.click("[type=submit]")
    for name in LISTS:
        page.goto(f"/admin/leads/{name}/")
        table, box = page.evaluate(
            "() => [document.querySelector('#result_list').scrollWidth, document.querySelector('.results').clientWidth]"
        )
        assert table <= box, f"{name}: the table is {table - box} px wider than its box"
