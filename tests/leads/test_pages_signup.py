"""Sign-up pages: both roles logged in at once, errors by field, the per-IP limit."""

import re

import pytest
from django.contrib.auth import get_user_model

from core.models import OutboundMessage
from leads.models import Deposit, InfluencerProfile, MerchantProfile

pytestmark = pytest.mark.django_db

URL = "/leads/signup/"


def _data(**overrides):
    data = {
        "role": "merchant",
        "username": "atlas",
        "email": "contact@atlas.ma",
        "password1": "Un-Mot-de-passe-42",
        "password2": "Un-Mot-de-passe-42",
        "name": "Atlas Services",
        "phone": "+212 6 12 34 56 78",
    }
    return {**data, **overrides}


def test_the_signup_page_offers_both_roles_and_preselects_the_one_asked_for(client):
    page = client.get(URL + "?role=influencer")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="merchant"' in html and 'value="influencer"' in html
    assert re.search(r'<input[^>]*value="influencer"[^>]*checked', html)
    assert not re.search(r'<input[^>]*value="merchant"[^>]*checked', html)
    assert "/compte/connexion/" in html


def test_a_merchant_signs_up_is_logged_in_and_lands_on_the_dashboard_with_a_deposit(client):
    response = client.post(URL, _data())
    assert response.status_code == 302 and response["Location"] == "/leads/merchant/"
    merchant = MerchantProfile.objects.get(user__username="atlas")
    assert merchant.company_name == "Atlas Services"
    assert Deposit.objects.filter(merchant=merchant).exists()
    assert OutboundMessage.objects.filter(to="contact@atlas.ma", channel="email").exists()
    dashboard = client.get("/leads/merchant/")
    assert dashboard.status_code == 200
    assert "Bienvenue, Atlas Services" in dashboard.content.decode()


def test_an_influencer_signs_up_and_lands_on_their_dashboard(client):
    response = client.post(URL, _data(role="influencer", username="sara", email="sara@example.com", name="Sara"))
    assert response.status_code == 302 and response["Location"] == "/leads/influencer/"
    assert InfluencerProfile.objects.get(user__username="sara").display_name == "Sara"
    assert client.get("/leads/influencer/").status_code == 200
    assert OutboundMessage.objects.filter(to="sara@example.com").exists()


def test_signup_in_english_stores_the_language_of_the_account(client):
    client.cookies["django_language"] = "en"
    client.post(URL, _data())
    assert MerchantProfile.objects.get().language == "en"


def test_a_taken_username_and_email_are_shown_by_field_with_what_was_typed(client):
    get_user_model().objects.create_user(username="atlas", email="contact@atlas.ma", password="x")
    response = client.post(URL, _data())
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ce nom d&#x27;utilisateur est déjà pris." in html
    assert "Un compte existe déjà avec cette adresse e-mail." in html
    assert 'value="Atlas Services"' in html
    assert not MerchantProfile.objects.exists()


def test_mismatched_or_weak_passwords_are_refused(client):
    response = client.post(URL, _data(password2="autre-chose-99"))
    assert response.status_code == 400
    assert "Les deux mots de passe ne sont pas identiques." in response.content.decode()
    weak = client.post(URL, _data(password1="123", password2="123"))
    assert weak.status_code == 400
    assert 'id="id_password1"' in weak.content.decode()
    assert not get_user_model().objects.exists()


def test_a_missing_role_or_name_is_a_form_error_not_a_500(client):
    response = client.post(URL, _data(role="admin", name=""))
    assert response.status_code == 400
    assert not get_user_model().objects.exists()


def test_accounts_created_from_one_ip_are_limited_with_a_styled_429(client, settings):
    settings.LEADS_SIGNUP_RATE_PER_IP = "2/h"
    for n in range(2):
        client.post(URL, _data(username=f"u{n}", email=f"u{n}@example.com"))
        client.logout()
    response = client.post(URL, _data(username="u3", email="u3@example.com"))
    assert response.status_code == 429
    assert response["Retry-After"]
    assert 'data-testid="rate-limited"' in response.content.decode()
    assert not get_user_model().objects.filter(username="u3").exists()


def test_a_logged_in_merchant_opening_signup_goes_to_the_dashboard(client):
    client.post(URL, _data())
    assert client.get(URL)["Location"] == "/leads/merchant/"
