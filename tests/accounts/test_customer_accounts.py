"""Customer accounts: sign-up, e-mail verification, the welcome e-mail, "Mes demandes"
(requests and tickets matched by the verified e-mail only), the limits and the forms."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client

from accounts.customers import customer_signup, email_verify, verification_token
from accounts.models import CustomerProfile
from accounts.selectors import verified_email
from core.models import OutboundMessage
from tests.factories import make_rental, make_revision
from tests.support.factories import make_ticket
from tracking.selectors import items_for_email

pytestmark = pytest.mark.django_db

SIGNUP = "/compte/inscription/"
REQUESTS = "/compte/demandes/"
RESEND = "/compte/verification/renvoyer/"
PASSWORD = "Un-Mot-de-passe-42"
EMAIL = "awa.diop@example.com"


def _data(**overrides):
    data = {"name": "Awa Diop", "email": EMAIL, "password1": PASSWORD, "password2": PASSWORD}
    return {**data, **overrides}


def _verification_emails(to=EMAIL):
    return OutboundMessage.objects.filter(key__startswith="accounts:verify:", to=to).order_by("pk")


def _link_path(message: OutboundMessage) -> str:
    url = re.search(r"http://\S+/compte/verification/\S+/", message.body).group(0)
    assert url in message.html_body
    return url.removeprefix("http://localhost:8000")


def _signed_up(client, **overrides):
    response = client.post(SIGNUP, _data(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    return get_user_model().objects.get(email__iexact=overrides.get("email", EMAIL))


def _verify(client, user=None):
    message = _verification_emails(user.email if user else EMAIL).last()
    return client.get(_link_path(message))


def _customer(email=EMAIL, name="Awa Diop"):
    """A customer made through the real service, not verified."""
    return customer_signup(name=name, email=email, password=PASSWORD, language="fr")


def _page(client) -> str:
    response = client.get(REQUESTS)
    assert response.status_code == 200
    return response.content.decode()


# --- sign-up and verification -------------------------------------------------------------


def test_signup_logs_in_and_sends_a_verification_link_that_verifies_then_welcomes(client):
    response = client.post(SIGNUP, _data(email="Awa.Diop@Example.com"))
    assert response.status_code == 302 and response["Location"] == REQUESTS
    user = get_user_model().objects.get()
    assert user.username == "awa.diop@example.com" and user.get_full_name() == "Awa Diop"
    assert user.check_password(PASSWORD)
    assert CustomerProfile.objects.get(user=user).email_verified_at is None
    page = client.get(REQUESTS)
    assert page.status_code == 200 and 'data-testid="verify-banner"' in page.content.decode()

    message = _verification_emails("Awa.Diop@example.com").get()
    assert message.subject == "Vérifiez votre adresse e-mail sur Services Plateforme"
    assert "Bonjour Awa Diop," in message.body
    assert "Le lien est valable 3 jours." in message.body
    assert not OutboundMessage.objects.filter(key__startswith="accounts:welcome:").exists()

    verified = client.get(_link_path(message))
    assert verified.status_code == 200 and 'data-testid="verified"' in verified.content.decode()
    user.refresh_from_db()
    assert verified_email(user) == "Awa.Diop@example.com"
    welcome = OutboundMessage.objects.get(key=f"accounts:welcome:{user.pk}")
    assert welcome.to == "Awa.Diop@example.com" and welcome.subject == "Bienvenue sur Services Plateforme"
    assert "http://localhost:8000/compte/demandes/" in welcome.body
    assert 'data-testid="verify-banner"' not in _page(client)


def test_a_second_click_says_already_verified_and_sends_no_second_welcome(client):
    _signed_up(client)
    _verify(client)
    again = _verify(client)
    assert again.status_code == 200 and 'data-testid="already-verified"' in again.content.decode()
    assert OutboundMessage.objects.filter(key__startswith="accounts:welcome:").count() == 1


def test_the_link_works_without_being_logged_in_and_offers_to_log_in(client):
    _signed_up(client)
    client.logout()
    response = _verify(client)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="verified"' in html
    assert "/compte/connexion/?next=/compte/demandes/" in html
    assert verified_email(get_user_model().objects.get()) == EMAIL


def test_an_expired_link_says_so_and_offers_a_new_one(client, monkeypatch, settings):
    user = _signed_up(client)
    past = time.time() - (settings.ACCOUNT_EMAIL_VERIFY_DAYS * 86400 + 60)
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: past)
        token = verification_token(user=user)
    response = client.get(f"/compte/verification/{token}/")
    html = response.content.decode()
    assert response.status_code == 400 and 'data-testid="expired-link"' in html
    assert "Ce lien de vérification a expiré." in html and "Renvoyer le lien" in html
    assert verified_email(get_user_model().objects.get()) is None


@pytest.mark.parametrize("tamper", ["flip", "other-user", "garbage"])
def test_a_tampered_link_is_refused_with_a_clear_page(client, tamper):
    user = _signed_up(client)
    token = verification_token(user=user)
    if tamper == "flip":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif tamper == "other-user":
        # A valid-looking payload for another account, with this account's signature.
        payload, _sep, rest = token.partition(":")
        other = signing.TimestampSigner(salt="accounts.email-verification").sign_object({"u": user.pk + 1, "e": "x"})
        token = other.partition(":")[0] + ":" + rest
    else:
        token = "not-a-token"
    response = client.get(f"/compte/verification/{token}/")
    html = response.content.decode()
    assert response.status_code == 400 and 'data-testid="invalid-link"' in html
    assert "Ce lien de vérification n&#x27;est pas valide." in html and "Renvoyer le lien" in html
    assert verified_email(get_user_model().objects.get()) is None


def test_the_invalid_link_page_asks_a_visitor_to_log_in_first(client):
    response = client.get("/compte/verification/not-a-token/")
    assert "/compte/connexion/?next=/compte/demandes/" in response.content.decode()
    assert RESEND not in response.content.decode()


def test_a_bad_link_opened_by_a_verified_customer_points_to_their_requests(client):
    _signed_up(client)
    _verify(client)
    html = client.get("/compte/verification/not-a-token/").content.decode()
    assert "Votre adresse e-mail est déjà vérifiée." in html and 'href="/compte/demandes/"' in html
    assert RESEND not in html


def test_resending_the_link_sends_a_new_one_that_works(client, monkeypatch):
    _signed_up(client)
    # A second later: a new timestamp, so a new link (a link asked again in the same second is the same one).
    now = time.time() + 2
    monkeypatch.setattr(signing.time, "time", lambda: now)
    response = client.post(RESEND, follow=True)
    assert (
        "Un nouveau lien de vérification vient d&#x27;être envoyé à awa.diop@example.com." in response.content.decode()
    )
    assert _verification_emails().count() == 2
    assert _verify(client).status_code == 200
    assert verified_email(get_user_model().objects.get()) == EMAIL


def test_resending_once_verified_sends_nothing_and_says_so(client):
    _signed_up(client)
    _verify(client)
    response = client.post(RESEND, follow=True)
    assert "Votre adresse e-mail est déjà vérifiée." in response.content.decode()
    assert _verification_emails().count() == 1


def test_duplicate_email_is_refused_with_a_clear_form_error_whatever_its_case(client, django_user_model):
    django_user_model.objects.create_user(username="awa", email="Awa.Diop@Example.COM", password="x")
    response = client.post(SIGNUP, _data())
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="id_email"[^>]*>\s*<small class="error" role="alert">Un compte existe déjà', html)
    assert 'value="Awa Diop"' in html
    assert not CustomerProfile.objects.exists() and django_user_model.objects.count() == 1


def test_mismatched_or_weak_passwords_are_refused_by_field(client):
    mismatch = client.post(SIGNUP, _data(password2="Autre-chose-99"))
    assert mismatch.status_code == 400
    assert "Les deux mots de passe ne sont pas identiques." in mismatch.content.decode()
    weak = client.post(SIGNUP, _data(password1="123", password2="123"))
    assert weak.status_code == 400
    assert re.search(r'id="id_password1"[^>]*>\s*<small class="error"', weak.content.decode())
    similar = client.post(SIGNUP, _data(password1="awa.diop", password2="awa.diop"))
    assert similar.status_code == 400
    assert not get_user_model().objects.exists()


def test_a_customer_logs_in_with_their_email_in_any_case(client):
    _customer()
    response = client.post("/compte/connexion/", {"username": "AWA.Diop@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/compte/"
    assert client.get("/compte/")["Location"] == REQUESTS


def test_the_login_page_links_to_signup_and_a_logged_in_user_skips_signup(client):
    html = client.get("/compte/connexion/").content.decode()
    assert 'href="/compte/inscription/" data-testid="signup-link"' in html
    _signed_up(client)
    assert client.get(SIGNUP)["Location"] == REQUESTS


def test_the_signup_page_in_english(client):
    client.cookies["django_language"] = "en"
    html = client.get(SIGNUP).content.decode()
    assert "Create a customer account" in html and "Créer" not in html
    _signed_up(client)
    assert CustomerProfile.objects.get().language == "en"
    assert _verification_emails().get().subject == "Verify your e-mail address on Services Plateforme"


# --- what "Mes demandes" shows ----------------------------------------------------------------


def test_requests_of_an_email_are_hidden_until_it_is_verified(client):
    revision = make_revision(client_email="AWA.DIOP@example.com")
    _signed_up(client)
    html = _page(client)
    assert revision.tracking.number not in html and 'data-testid="verify-banner"' in html
    _verify(client)
    html = _page(client)
    assert f'href="/tracking/{revision.tracking.number}/"' in html
    assert "Révision mécanique" in html and "Reçu" in html


def test_every_service_is_listed_newest_first_and_other_peoples_never(client):
    revision = make_revision(client_email=EMAIL)
    rental = make_rental(client_email=EMAIL)
    others = [make_revision(client_email="someone@example.com"), make_rental(client_email="awa.diop@example.org")]
    _signed_up(client)
    _verify(client)
    html = _page(client)
    assert html.index(rental.tracking.number) < html.index(revision.tracking.number)
    assert "Location de véhicule" in html
    for other in others:
        assert other.tracking.number not in html


def test_another_account_never_sees_the_items_of_an_email_it_did_not_verify(client):
    revision = make_revision(client_email=EMAIL)
    _customer()  # the owner of the address, who never clicked
    intruder = Client()
    _signed_up(intruder, email="intruder@example.com", name="Intrus")
    _verify(intruder, get_user_model().objects.get(email="intruder@example.com"))
    assert revision.tracking.number not in _page(intruder)


def test_a_changed_email_loses_the_match_until_it_is_verified(client):
    old_request = make_revision(client_email=EMAIL)
    new_request = make_revision(client_email="awa@new.example.com")
    user = _signed_up(client)
    old_link = _link_path(_verification_emails().get())
    _verify(client)
    assert old_request.tracking.number in _page(client)

    user.email = "awa@new.example.com"
    user.save()
    html = _page(client)
    assert old_request.tracking.number not in html and new_request.tracking.number not in html
    assert "L'adresse e-mail de votre compte a changé" in html
    # The old address's link no longer verifies anything.
    assert client.get(old_link).status_code == 400

    client.post(RESEND)
    _verify(client, user)
    html = _page(client)
    assert new_request.tracking.number in html and old_request.tracking.number not in html
    assert OutboundMessage.objects.filter(key__startswith="accounts:welcome:").count() == 1


def test_tickets_opened_while_logged_in_show_at_once_those_by_email_after_verification(client):
    user = _signed_up(client)
    mine = make_ticket(subject="Question depuis mon compte", user=user)
    by_email = make_ticket(subject="Envoyé avant le compte", email=EMAIL)
    foreign = make_ticket(subject="Pas le mien", email="other@example.com")
    html = _page(client)
    assert mine.tracking.number in html and "Question depuis mon compte" in html
    assert by_email.tracking.number not in html
    _verify(client)
    html = _page(client)
    assert by_email.tracking.number in html and "Envoyé avant le compte" in html
    assert foreign.tracking.number not in html
    # A ticket is listed once, under the tickets (with its subject), not again as a request.
    assert html.count(f'href="/tracking/{by_email.tracking.number}/"') == 1


def test_requests_page_needs_a_login(client):
    response = client.get(REQUESTS)
    assert response.status_code == 302 and response["Location"].startswith("/compte/connexion/?next=")


def test_the_header_menu_shows_mes_demandes_to_customers_only(client, django_user_model):
    _signed_up(client)
    assert 'class="account-link" href="/compte/demandes/"' in client.get("/").content.decode()
    other = Client()
    other.force_login(django_user_model.objects.create_user(username="ops", password="x", is_staff=True))
    assert "/compte/demandes/" not in other.get("/").content.decode()


def test_the_requests_page_in_english(client):
    make_revision(client_email=EMAIL)
    client.cookies["django_language"] = "en"
    _signed_up(client)
    _verify(client)
    html = _page(client)
    assert "My requests" in html and "Mechanical servicing" in html and "Mes demandes" not in html


# --- query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 10])
def test_the_requests_page_costs_the_same_queries_with_1_or_10_items_of_each_service(
    client, django_assert_num_queries, count
):
    _signed_up(client)
    _verify(client)
    for n in range(count):
        make_revision(client_email=EMAIL, vehicle_plate=f"AB-{n:03d}-CD")
        make_rental(client_email=EMAIL)
        make_ticket(email=EMAIL, subject=f"Question {n}")
    # The session, the user, their customer profile, one query per service declaring its
    # customer e-mail (REV, LOC, TCK), the tickets: seven, whatever the number of rows.
    with django_assert_num_queries(7):
        html = _page(client)
    assert html.count('class="number"') == 3 * count


def test_items_for_email_is_one_query_per_declaring_service(django_assert_num_queries):
    for n in range(3):
        make_revision(client_email=EMAIL, vehicle_plate=f"AB-{n:03d}-CD")
    make_rental(client_email=EMAIL)
    with django_assert_num_queries(3):
        found = items_for_email(email="Awa.Diop@EXAMPLE.com")
    assert [item.service for item in found] == ["LOC", "REV", "REV", "REV"]
    assert all(item.url == f"/tracking/{item.number}/" for item in found)
    assert items_for_email(email=EMAIL, limit=2) == found[:2]
    with django_assert_num_queries(0):
        assert items_for_email(email="") == []


# --- limits and forms ---------------------------------------------------------------------------


def test_signups_from_one_ip_are_limited_with_a_429_and_retry_after(client, settings):
    settings.ACCOUNT_SIGNUP_RATE_PER_IP = "2/h"
    for n in range(2):
        client.post(SIGNUP, _data(email=f"u{n}@example.com"))
        client.logout()
    response = client.post(SIGNUP, _data(email="u3@example.com"))
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    html = response.content.decode()
    assert 'data-testid="rate-limited"' in html and "Trop de comptes créés depuis votre connexion" in html
    assert 'value="u3@example.com"' in html
    assert not get_user_model().objects.filter(email="u3@example.com").exists()


def test_trying_taken_addresses_counts_towards_the_signup_limit_typos_do_not(client, settings):
    settings.ACCOUNT_SIGNUP_RATE_PER_IP = "2/h"
    _customer(email="taken@example.com")
    for _ in range(3):
        assert client.post(SIGNUP, _data(password2="typo-typo-42")).status_code == 400
    for _ in range(2):
        assert client.post(SIGNUP, _data(email="taken@example.com")).status_code == 400
    assert client.post(SIGNUP, _data()).status_code == 429


def test_resending_the_link_is_limited_per_account_with_a_styled_429(client, settings):
    settings.ACCOUNT_EMAIL_VERIFY_RESEND_RATE = "1/h"
    _signed_up(client)
    assert client.post(RESEND).status_code == 302
    response = client.post(RESEND)
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    html = response.content.decode()
    assert "Plusieurs liens vous ont déjà été envoyés" in html and 'href="/compte/demandes/"' in html


def test_the_forms_are_csrf_protected(django_user_model):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(SIGNUP, _data()).status_code == 403
    assert not django_user_model.objects.exists()
    page = browser.get(SIGNUP)
    token = page.cookies["csrftoken"].value
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    assert browser.post(SIGNUP, {**_data(), "csrfmiddlewaretoken": token}).status_code == 302
    assert browser.post(RESEND).status_code == 403
    assert 'name="csrfmiddlewaretoken"' in browser.get(REQUESTS).content.decode()


def test_resend_is_post_only_and_for_customers(client, django_user_model):
    _signed_up(client)
    assert client.get(RESEND).status_code == 405
    staff = Client()
    staff.force_login(django_user_model.objects.create_user(username="ops", password="x"))
    response = staff.post(RESEND, follow=True)
    assert "Ce compte n&#x27;est pas un compte client." in response.content.decode()


def test_the_requests_page_is_never_stored_by_a_cache(client):
    _signed_up(client)
    response = client.get(REQUESTS)
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_staff_see_customer_accounts_in_admin_without_editing_them(staff_client):
    user = _customer()
    email_verify(token=verification_token(user=user))
    page = staff_client.get("/admin/accounts/customerprofile/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Awa Diop" in html and EMAIL in html
    assert staff_client.get("/admin/accounts/customerprofile/add/").status_code == 403


# --- the selector others use ---------------------------------------------------------------


def test_verified_email_is_none_until_verified_and_after_the_email_changes():
    user = _customer()
    assert verified_email(user) is None
    email_verify(token=verification_token(user=user))
    user = get_user_model().objects.get(pk=user.pk)
    assert verified_email(user) == EMAIL
    user.email = "AWA.DIOP@example.com"  # the same address, another case: still verified
    assert verified_email(user) == EMAIL
    user.email = "other@example.com"
    assert verified_email(user) is None
    assert verified_email(get_user_model()(username="nobody")) is None
