"""Refusals found in review: a transfer or an adjustment recorded twice, the two nightly
jobs locking deposits in one order, bad input answered without a 500, a stale CSRF
token answered with a styled page."""

import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from leads import jobs
from leads.errors import LeadError
from leads.models import Deposit, InfluencerProfile, Lead, LedgerEntry, Recharge
from leads.recharges import deposit_adjust, recharge_transfer_record

from .factories import make_campaign, make_influencer, make_lead, make_merchant


@pytest.mark.django_db
def test_the_same_bank_transfer_is_recorded_once(admin_user):
    merchant = make_merchant()
    recharge_transfer_record(
        merchant=merchant, amount="5000", reference="VIR-2026-0001", paid_on=date.today(), actor=admin_user
    )
    with pytest.raises(LeadError) as exc:
        recharge_transfer_record(
            merchant=merchant, amount="5000", reference=" VIR-2026-0001 ", paid_on=date.today(), actor=admin_user
        )
    assert exc.value.code == "ALREADY_RECORDED"
    merchant.deposit.refresh_from_db()
    assert merchant.deposit.balance == Decimal("5000.00")
    assert Recharge.objects.filter(merchant=merchant).count() == 1


@pytest.mark.django_db
def test_an_adjustment_form_sent_twice_adjusts_once(admin_user):
    merchant = make_merchant(balance=1000)
    deposit_adjust(merchant=merchant, amount="250", reason="Geste commercial", actor=admin_user, token="form-1")
    with pytest.raises(LeadError) as exc:
        deposit_adjust(merchant=merchant, amount="250", reason="Geste commercial", actor=admin_user, token="form-1")
    assert exc.value.code == "ALREADY_RECORDED"
    assert LedgerEntry.objects.filter(merchant=merchant, kind="adjustment").count() == 1


@pytest.mark.django_db
def test_the_admin_adjustment_form_carries_its_own_token(staff_client):
    merchant = make_merchant(balance=1000)
    url = f"/admin/leads/deposit/{merchant.deposit.pk}/ajustement/"
    html = staff_client.get(url).content.decode()
    assert 'name="token"' in html
    token = html.split('name="token" value="')[1].split('"')[0]
    body = {"amount": "100", "reason": "Correction", "token": token}
    staff_client.post(url, body)
    again = staff_client.post(url, body)
    assert "déjà enregistré" in again.content.decode()
    assert LedgerEntry.objects.filter(merchant=merchant, kind="adjustment").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_hourly_check_and_the_nightly_expiry_at_once_do_not_deadlock(django_user_model):
    # given: W falls to attention, X is held by a merchant's validation, R is back to healthy
    influencer = make_influencer()
    w, x, r = (make_merchant(balance="1000", company=name) for name in "WXR")
    deposit_adjust(merchant=w, amount=Decimal("-600"), reason="test", actor=None)
    Deposit.objects.filter(pk=r.deposit.pk).update(last_alert_level="warning")
    for merchant in (w, x, r):
        make_lead(campaign=make_campaign(merchant), influencer=influencer, value="900")
    Lead.objects.update(created_at=timezone.now() - timedelta(hours=80))
    held, release, outcomes = threading.Event(), threading.Event(), {}

    def hold_x():
        try:
            with transaction.atomic():
                list(Deposit.objects.select_for_update().filter(pk=x.deposit.pk))
                held.set()
                release.wait(10)
        finally:
            connection.close()

    def run(name, job):
        try:
            outcomes[name] = job()
        except Exception as exc:  # noqa: BLE001 - the test asserts on it
            outcomes[name] = exc
        finally:
            connection.close()

    # when: both jobs start while X is held (the expiry first, as at 23:00)
    threads = [threading.Thread(target=hold_x)]
    threads[0].start()
    held.wait(5)
    threads.append(threading.Thread(target=run, args=("expire", jobs.leads_expire)))
    threads[-1].start()
    time.sleep(0.5)
    threads.append(threading.Thread(target=run, args=("check", jobs.deposits_check)))
    threads[-1].start()
    time.sleep(0.5)
    release.set()
    for thread in threads:
        thread.join(20)
    # then
    assert outcomes["expire"] == 3
    assert not isinstance(outcomes["check"], Exception), outcomes["check"]


@pytest.mark.django_db
def test_a_payout_far_above_the_earnings_is_refused_not_a_500(client):
    influencer = make_influencer(bank_holder="Sara Alaoui", bank_rib="011780000012345678901234")
    InfluencerProfile.objects.filter(pk=influencer.pk).update(earnings=Decimal("150.00"))
    client.force_login(influencer.user)
    page = client.post("/leads/influencer/payouts/", {"amount": "99999999999999"})
    assert page.status_code in (200, 302, 400, 409)
    api = client.post("/api/leads/payouts", {"amount": "99999999999999"}, content_type="application/json")
    assert api.status_code == 409 and api.json()["error"] == "EARNINGS_INSUFFICIENT"
    spaced = client.post("/api/leads/payouts", {"amount": "9 9"}, content_type="application/json")
    assert spaced.json()["error"] == "PAYOUT_BELOW_MINIMUM"


@pytest.mark.django_db
def test_a_client_email_too_long_for_its_column_is_a_form_error(client):
    merchant = make_merchant(balance=1000)
    campaign = make_campaign(merchant)
    influencer = make_influencer()
    client.force_login(influencer.user)
    email = "a" * 250 + "@example.com"
    response = client.post(
        "/leads/influencer/leads/",
        {
            "campaign": campaign.pk,
            "client_name": "Ahmed",
            "client_email": email,
            "estimated_value": "1500",
            "source": "instagram",
        },
    )
    assert response.status_code == 400
    assert 'value="Ahmed"' in response.content.decode()
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_sign_up_with_a_bad_username_or_a_long_email_is_a_form_error(client):
    from django.contrib.auth import get_user_model

    base = {"role": "influencer", "password1": "pw-Secret-123456", "password2": "pw-Secret-123456", "name": "Sara"}
    for username, email in (("sara", "a" * 250 + "@example.com"), ("sara alaoui!", "sara@example.com")):
        response = client.post("/leads/signup/", {**base, "username": username, "email": email})
        assert response.status_code in (200, 400)
        assert response.content.decode().count("has-error") == 1
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_an_odd_recharge_parameter_on_the_dashboard_is_ignored(client):
    merchant = make_merchant()
    client.force_login(merchant.user)
    assert client.get("/leads/merchant/?recharge=²&payment=success").status_code == 200


@pytest.mark.django_db
def test_a_stale_csrf_token_gets_a_styled_french_page(django_user_model):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/compte/connexion/", {"username": "x", "password": "y"}, HTTP_REFERER="http://testserver/compte/connexion/"
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert 'lang="fr"' in html and "Formulaire expiré" in html
    assert 'href="http://testserver/compte/connexion/"' in html


@pytest.mark.django_db
def test_a_refused_campaign_edit_says_why_and_keeps_what_was_typed(client):
    merchant = make_merchant(balance=1000)
    campaign = make_campaign(merchant, "Marketing")
    client.force_login(merchant.user)
    body = {"name": "Marketing 2027", "description": "x" * 4001}
    for headers in ({}, {"HX-Request": "true"}):
        response = client.post(f"/leads/merchant/campaigns/{campaign.pk}/", body, headers=headers)
        html = response.content.decode()
        assert response.status_code in (400, 422)
        assert "Description" in html and 'value="Marketing 2027"' in html and '<details class="edit" open>' in html
    campaign.refresh_from_db()
    assert campaign.name == "Marketing"
