"""A revision's photos on its tracking page in a real browser: a thumbnail opens the
photo full size in the dialog, Escape closes it and the focus goes back to the
thumbnail; the card fits a phone and a desktop screen."""

import pytest
from playwright.sync_api import expect

from core.origin import SYSTEM
from revisions.services import revision_media_add
from tests.factories import make_revision
from tests.test_revision_media import photo_upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def test_a_thumbnail_opens_the_photo_in_the_dialog_and_escape_closes_it(new_context):
    # given a revision with a diagnostic photo and a photo after the work
    revision = make_revision()
    for label, caption, colour in (("diagnostic", "Plaquettes usées", "red"), ("after", "Plaquettes neuves", "green")):
        revision_media_add(
            revision=revision,
            file=photo_upload(size=(2000, 1500), colour=colour),
            label=label,
            caption=caption,
            origin=SYSTEM,
        )
    context = new_context()
    page = context.new_page()
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.goto(f"/tracking/{revision.tracking.number}/")
        card = page.get_by_test_id("media-card")
        expect(card.get_by_role("heading", name="Photos et vidéos")).to_be_visible()
        expect(card.locator("h3")).to_have_text(["Diagnostic", "Après intervention"])
        thumbnail = card.get_by_role("img", name="Plaquettes usées")
        expect(thumbnail).to_be_visible()
        # thumbnails keep their 4:3 tile, loaded from the miniature URL
        assert page.evaluate("document.querySelector('.media-thumb img').naturalWidth") == 480
        box = card.locator(".media-thumb").first.bounding_box()
        assert abs(box["width"] / box["height"] - 4 / 3) < 0.05
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

        # when the customer clicks the thumbnail
        thumbnail.click()
        # then the dialog shows the full-size photo (1600 px wide) with its caption
        dialog = page.locator("dialog.media-viewer")
        expect(dialog).to_be_visible()
        full = dialog.get_by_role("img", name="Plaquettes usées")
        expect(full).to_be_visible()
        page.wait_for_function("document.querySelector('dialog .media-viewer-body img').complete")
        assert page.evaluate("document.querySelector('dialog .media-viewer-body img').naturalWidth") == 1600
        expect(dialog.locator(".media-viewer-caption")).to_have_text("Plaquettes usées")
        # the arrow key goes to the next photo
        page.keyboard.press("ArrowRight")
        expect(dialog.get_by_role("img", name="Plaquettes neuves")).to_be_visible()

        # when Escape is pressed, the dialog closes and the focus is back on the thumbnail
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(page.locator("a[data-media]").first).to_be_focused()
    assert context.server_errors == []
