import re

import pytest

from core.models import OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="amina", password="old-pw-12345", email="amina@example.com")


def _reset_link(message: OutboundMessage) -> str:
    return re.search(r"http://\S+/compte/mot-de-passe/\S+/\S+/", message.body).group(0)


def test_a_reset_request_puts_a_branded_email_in_the_outbox(client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/compte/mot-de-passe/", {"email": "AMINA@example.com"})
    assert response.status_code == 302 and response["Location"] == "/compte/mot-de-passe/envoye/"
    message = OutboundMessage.objects.get(channel=OutboundMessage.Channel.EMAIL)
    assert message.to == "amina@example.com"
    assert message.subject == "Réinitialiser votre mot de passe sur Services Plateforme"
    assert "Bonjour amina," in message.body
    assert _reset_link(message) in message.html_body


def test_an_unknown_address_sends_nothing_and_says_the_same(client, user):
    response = client.post("/compte/mot-de-passe/", {"email": "nobody@example.com"}, follow=True)
    assert "Vérifiez vos e-mails" in response.content.decode()
    assert not OutboundMessage.objects.exists()


def test_the_link_sets_a_new_password_once(client, user):
    client.post("/compte/mot-de-passe/", {"email": "amina@example.com"})
    link = _reset_link(OutboundMessage.objects.get())
    path = link.removeprefix("http://localhost:8000")
    form_page = client.get(path, follow=True)
    assert "Nouveau mot de passe" in form_page.content.decode()
    form_url = form_page.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "Nouveau-mot-2025", "new_password2": "Nouveau-mot-2025"})
    assert response["Location"] == "/compte/mot-de-passe/termine/"
    user.refresh_from_db()
    assert user.check_password("Nouveau-mot-2025")
    again = client.get(path, follow=True)
    assert 'data-testid="invalid-link"' in again.content.decode()


def test_reset_requests_are_limited_per_ip(client, user, settings):
    settings.ACCOUNT_PASSWORD_RESET_RATE_PER_IP = "2/h"
    for _ in range(2):
        client.post("/compte/mot-de-passe/", {"email": "amina@example.com"})
    response = client.post("/compte/mot-de-passe/", {"email": "amina@example.com"})
    assert response.status_code == 429 and response.has_header("Retry-After")
