"""Support in a real browser: a customer writes through the contact form on a phone,
gets a TCK number, follows it; staff answer in the admin; the customer's page shows the
answer without a reload (htmx) and they reply; then a question from a revision's page."""

import re

import pytest
from playwright.sync_api import expect

from support.models import Ticket
from tests.factories import make_revision
from tests.support.factories import make_support_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _staff_page(new_context):
    agent = make_support_staff()
    agent.set_password("pw-Agent-Support-42")
    agent.save()
    page = new_context(viewport=DESKTOP).new_page()
    page.goto("/admin/login/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", "pw-Agent-Support-42")
    page.click("[type=submit]")
    return page


def _staff_reply(page, ticket: Ticket, text: str) -> None:
    page.goto(f"/admin/support/ticket/{ticket.pk}/repondre/")
    page.fill("#id_body", text)
    page.click("#content-main [type=submit]")  # not the header's logout button
    expect(page.locator(".messagelist")).to_contain_text("Réponse envoyée")


def test_contact_form_to_staff_reply_and_back(new_context, settings):
    settings.SUPPORT_THREAD_POLL_SECONDS = 1
    customer = new_context(viewport=PHONE)
    page = customer.new_page()

    # 1. The contact form: a mistake first, then the ticket and its number.
    page.goto("/contact/")
    page.fill("#id_name", "Awa Diop")
    page.fill("#id_email", "awa@")
    page.select_option("#id_category", "billing")
    page.fill("#id_subject", "Facture en double")
    page.fill("#id_message", "J'ai reçu deux factures pour la même commande.")
    page.get_by_role("button", name="Envoyer mon message").click()
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.locator("#id_message")).to_have_value("J'ai reçu deux factures pour la même commande.")
    page.fill("#id_email", "awa@example.com")
    page.get_by_role("button", name="Envoyer mon message").click()
    number = page.get_by_test_id("tracking-number").inner_text().strip()
    assert re.fullmatch(r"TCK-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", number)
    ticket = Ticket.objects.get(tracking__number=number)

    # 2. Follow it at /tracking.
    page.goto("/tracking/")
    page.fill("input[name=number]", number.lower())
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/tracking/{number}/$"))
    expect(page.get_by_test_id("status")).to_have_text("Ouvert")
    expect(page.get_by_test_id("thread")).to_contain_text("deux factures")

    # 3. Staff answer in the admin; the customer's open page shows it without a reload.
    staff = _staff_page(new_context)
    _staff_reply(staff, ticket, "Le doublon est annulé, vous ne paierez qu'une fois.")
    expect(page.get_by_test_id("thread")).to_contain_text("Le doublon est annulé", timeout=8000)

    # 4. The customer answers on the page (htmx: no reload, the text appears in the thread).
    page.fill("#conversation textarea[name=body]", "Parfait, merci beaucoup !")
    page.locator("#conversation").get_by_role("button", name="Répondre").click()
    expect(page.locator("#conversation [role=status]")).to_contain_text("Message envoyé")
    expect(page.get_by_test_id("thread")).to_contain_text("Parfait, merci beaucoup !")
    assert ticket.messages.filter(side="customer").count() == 2

    # 5. Staff see it in the admin's conversation.
    staff.goto(f"/admin/support/ticket/{ticket.pk}/change/")
    expect(staff.locator("body")).to_contain_text("Parfait, merci beaucoup !")
    assert not customer.server_errors and not staff.context.server_errors


def test_a_question_on_a_revision_page_answered_by_staff(new_context, settings):
    settings.SUPPORT_THREAD_POLL_SECONDS = 1
    revision = make_revision()
    number = revision.tracking.number
    page = new_context(viewport=PHONE).new_page()
    page.goto(f"/tracking/{number}/")
    conversation = page.get_by_test_id("conversation")
    expect(conversation).to_contain_text("Une question ?")
    conversation.locator("textarea[name=body]").fill("Puis-je déposer la voiture samedi ?")
    conversation.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_test_id("thread")).to_contain_text("samedi")
    ticket = Ticket.objects.get(related_item=revision.tracking)

    staff = _staff_page(new_context)
    _staff_reply(staff, ticket, "Oui, de 8 h à 13 h.")
    expect(page.get_by_test_id("thread")).to_contain_text("de 8 h à 13 h", timeout=8000)
    # the page fits a phone: no horizontal scroll
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
