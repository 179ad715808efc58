"""Accounts and notifications in a real browser: log in through the form, the header's
bell and menu at phone and desktop widths, "mark all read" through htmx (with its CSRF
token), the bell refreshed by its badge fragment, a personal token created and copied."""

import os
import re

import pytest
from playwright.sync_api import expect

from notifications.services import notification_send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SHOTS = os.environ.get("SCREENSHOT_DIR")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _no_horizontal_scroll(page, viewport):
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], "horizontal scroll"


@pytest.fixture
def amina(django_user_model):
    return django_user_model.objects.create_user(
        username="amina", password="pw-user-12345", first_name="Amina", last_name="Benali"
    )


def _log_in(page):
    page.goto("/compte/connexion/?next=/notifications/")
    page.get_by_label("Identifiant").fill("amina")
    page.get_by_label("Mot de passe").fill("pw-user-12345")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))


def test_log_in_read_notifications_through_htmx_and_log_out(new_context, amina):
    for i in range(3):
        notification_send(user=amina, kind="k", text=f"Nouveau lead n° {i}", link="/tracking/")
    context = new_context()
    page = context.new_page()
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.goto("/compte/connexion/")
        _no_horizontal_scroll(page, viewport)
        _shot(page, f"login-{viewport['width']}")
    page.goto("/compte/connexion/")
    page.get_by_label("Identifiant").fill("amina")
    page.get_by_label("Mot de passe").fill("wrong")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator(".alert-error")).to_contain_text("Identifiant ou mot de passe incorrect")
    _log_in(page)
    expect(page.locator("[data-testid=unread-count]")).to_have_text("3")
    expect(page.locator(".notification.unread")).to_have_count(3)
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        _no_horizontal_scroll(page, viewport)
        _shot(page, f"notifications-{viewport['width']}")

    page.get_by_role("button", name="Tout marquer comme lu").click()
    expect(page.locator(".notification.unread")).to_have_count(0)
    expect(page.locator("[data-testid=unread-count]")).to_have_count(0)  # the bell, swapped out of band
    assert page.url.endswith("/notifications/")  # in place, no reload needed

    # A new notification: the bell's poll brings it (triggered here rather than waiting 15 s).
    notification_send(user=amina, kind="k", text="Encore un")
    page.evaluate("htmx.trigger('#notification-bell', 'every 15s')")
    page.evaluate("htmx.ajax('GET', '/notifications/badge/', {target: '#notification-bell', swap: 'outerHTML'})")
    expect(page.locator("[data-testid=unread-count]")).to_have_text("1")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator(".account-login")).to_be_visible()
    assert not context.server_errors


def test_create_a_personal_token_and_copy_it(new_context, amina):
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    _log_in(page)
    page.goto("/compte/jetons/")
    page.get_by_label("Nom du jeton").fill("Mon script")
    page.get_by_role("button", name="Créer un jeton").click()
    token = page.locator("[data-testid=new-token]").inner_text()
    assert token.startswith("pt_")
    page.get_by_role("button", name="Copier le jeton").click()
    expect(page.locator(".copy-status")).to_have_text("Jeton copié.")
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        _shot(page, f"tokens-{viewport['width']}")
        _no_horizontal_scroll(page, viewport)
    page.get_by_role("button", name="Révoquer").click()
    expect(page.locator(".messages")).to_contain_text("est révoqué")
    assert not context.server_errors
