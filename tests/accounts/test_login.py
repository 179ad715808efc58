import pytest
from django.urls import reverse

from accounts import roles

pytestmark = pytest.mark.django_db

PASSWORD = "pw-user-12345"
LOGIN = "/compte/connexion/"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(
        username="amina", password=PASSWORD, email="amina@example.com", first_name="Amina", last_name="Benali"
    )


def test_the_login_page_is_in_french_and_extends_the_site(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Connexion" in html and "Mot de passe oublié ?" in html
    assert 'class="site-header"' in html


def test_login_urls_are_the_ones_django_uses(settings):
    assert reverse(settings.LOGIN_URL) == LOGIN
    assert reverse("accounts:logout") == "/compte/deconnexion/"
    assert reverse("accounts:password_reset") == "/compte/mot-de-passe/"


def test_a_good_password_logs_in_and_goes_to_the_home_page_without_a_role(client, user):
    response = client.post(LOGIN, {"username": "amina", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[0] == ("/compte/", 302)
    assert response.redirect_chain[-1] == ("/", 302)
    assert response.wsgi_request.user == user


def test_login_follows_next(client, user):
    response = client.post(LOGIN + "?next=/notifications/", {"username": "amina", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/notifications/"


def test_login_never_follows_next_to_another_site(client, user):
    response = client.post(LOGIN, {"username": "amina", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/compte/"


def test_a_registered_role_sends_its_users_to_their_home(client, user, monkeypatch):
    monkeypatch.setattr(roles, "_homes", [])
    roles.register_home(lambda u: u.username == "someone-else", "rentals:request")
    roles.register_home(lambda u: u.username == "amina", "tracking:lookup")
    client.force_login(user)
    assert client.get("/compte/")["Location"] == reverse("tracking:lookup")


def test_a_bad_password_re_renders_the_form_with_a_message(client, user):
    response = client.post(LOGIN, {"username": "amina", "password": "wrong"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Identifiant ou mot de passe incorrect" in html
    assert 'value="amina"' in html
    assert "_auth_user_id" not in client.session


def test_a_deactivated_user_cannot_log_in(client, user):
    user.is_active = False
    user.save()
    response = client.post(LOGIN, {"username": "amina", "password": PASSWORD})
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failed_logins_for_one_username_are_limited_with_a_styled_429(client, user, settings):
    settings.ACCOUNT_LOGIN_RATE_PER_USER = "3/15m"
    for _ in range(3):
        assert client.post(LOGIN, {"username": "Amina", "password": "wrong"}).status_code == 200
    # Even the right password now waits: the attacker cannot tell.
    response = client.post(LOGIN, {"username": "amina", "password": PASSWORD})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    html = response.content.decode()
    assert "Trop de tentatives de connexion" in html and 'data-testid="rate-limited"' in html
    assert "_auth_user_id" not in client.session


def test_successful_logins_do_not_count_against_the_username(client, user, settings):
    settings.ACCOUNT_LOGIN_RATE_PER_USER = "2/15m"
    for _ in range(4):
        assert client.post(LOGIN, {"username": "amina", "password": PASSWORD}).status_code == 302
        client.logout()


def test_every_attempt_counts_against_the_ip(client, user, settings):
    settings.ACCOUNT_LOGIN_RATE_PER_IP = "3/h"
    for name in ("a", "b", "c"):
        client.post(LOGIN, {"username": name, "password": "x"})
    response = client.post(LOGIN, {"username": "amina", "password": PASSWORD})
    assert response.status_code == 429 and response.has_header("Retry-After")


def test_logout_is_a_post_and_ends_the_session(client, user):
    client.force_login(user)
    assert client.get("/compte/deconnexion/").status_code == 405
    response = client.post("/compte/deconnexion/", follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "Vous êtes déconnecté." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_header_offers_login_to_visitors(client):
    html = client.get("/tracking/").content.decode()
    assert 'href="/compte/connexion/?next=/tracking/"' in html
    assert "Se déconnecter" not in html


def test_the_header_shows_a_logged_in_user_their_name_the_bell_and_logout(client, user):
    client.force_login(user)
    html = client.get("/tracking/").content.decode()
    assert "Amina Benali" in html
    assert 'id="notification-bell"' in html and 'hx-trigger="every 15s"' in html
    assert 'action="/compte/deconnexion/"' in html and "csrfmiddlewaretoken" in html
    assert "htmx.min.js" in html
    assert "Se connecter</a>" not in html


def test_public_pages_carry_no_htmx_for_visitors(client):
    assert "htmx" not in client.get("/").content.decode()


def test_the_header_escapes_the_user_name(client, django_user_model):
    user = django_user_model.objects.create_user(username="x", password=PASSWORD, first_name="<b>x</b>")
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_a_database_outage_does_not_break_the_header(client, user, monkeypatch):
    from accounts import menu

    client.force_login(user)

    def broken(request):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(menu, "logged_in_user", broken)
    response = client.get("/")
    assert response.status_code == 200 and "Se déconnecter" not in response.content.decode()
