"""core.uploads (the one upload checker) and core.files (serving a stored file with
HTTP ranges), on real bytes: JPEGs made with Pillow carrying EXIF and GPS tags, a PNG
named .jpg, HTML named .png, a truncated image, files too large."""

from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import translation
from PIL import Image

from core import uploads
from core.files import content_disposition, file_response
from core.uploads import UploadRefused

IMAGES = frozenset({"image/jpeg", "image/png", "image/webp"})
MB = 1024 * 1024

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_gps(size=(4000, 3000), *, orientation: int = 1, colour="red") -> bytes:
    """A camera-like JPEG: make, model, orientation, a GPS position and an XMP packet."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "EOS 5D"  # Model
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 21.0, 5.0)}
    out = BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    Image.new("RGB", size, colour).save(out, "JPEG", exif=exif, xmp=xmp, comment=b"shot at home")
    return out.getvalue()


def png(size=(64, 48), mode="RGB") -> bytes:
    out = BytesIO()
    Image.new(mode, size, (0, 128, 255, 128) if mode == "RGBA" else (0, 128, 255)).save(out, "PNG")
    return out.getvalue()


def webp(size=(64, 48), mode="RGBA") -> bytes:
    out = BytesIO()
    Image.new(mode, size, (10, 200, 30, 100)).save(out, "WEBP")
    return out.getvalue()


MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 40
WEBM_HEAD = bytes.fromhex("1a45dfa39f4286810142f7810142f2810442f381084282847765626d42878104") + b"\x00" * 40


def upload(content: bytes, name="file.bin", content_type="application/octet-stream") -> SimpleUploadedFile:
    # The browser's name and type are whatever it says: never looked at.
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- sniff -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (jpeg_with_gps((8, 8)), "image/jpeg"),
        (png(), "image/png"),
        (webp(), "image/webp"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "application/pdf"),
        (MP4_HEAD, "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00" * 8, "video/mp4"),  # a phone's .mov
        (WEBM_HEAD, "video/webm"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", None),  # an iPhone photo, not a video
        (bytes.fromhex("1a45dfa3a34286810142f7810142f2810442f381084282886d6174726f736b61"), None),  # .mkv
        (b"<!doctype html><script>alert(1)</script>", None),
        (b"GIF89a\x01\x00\x01\x00", None),
        (b"", None),
    ],
)
def test_sniff_decides_the_type_by_content(content, expected):
    assert uploads.sniff(BytesIO(content)) == expected


def test_sniff_reads_the_first_bytes_and_puts_the_position_back():
    file = BytesIO(png())
    file.seek(10)
    assert uploads.sniff(file) == "image/png"
    assert file.tell() == 10


def test_a_png_named_jpg_is_a_png():
    assert uploads.check(upload(png(), "photo.jpg", "image/jpeg"), allowed=IMAGES, max_bytes=MB) == "image/png"


# --- check -----------------------------------------------------------------------------


def test_html_named_png_is_refused_whatever_the_browser_says():
    html = upload(b"<html><body onload=alert(1)>hi</body></html>", "photo.png", "image/png")
    with pytest.raises(UploadRefused) as refused:
        uploads.check(html, allowed=IMAGES, max_bytes=MB)
    assert refused.value.code == UploadRefused.FILE_TYPE_REFUSED
    assert refused.value.message == "Type de fichier non accepté (formats acceptés\u00a0: JPEG, PNG, WebP)."
    assert refused.value.details == {"detected": None, "allowed": sorted(IMAGES)}


def test_a_pdf_is_refused_where_only_images_are_allowed():
    with pytest.raises(UploadRefused) as refused:
        uploads.check(upload(b"%PDF-1.4 x", "photo.jpg"), allowed=IMAGES, max_bytes=MB)
    assert refused.value.details["detected"] == "application/pdf"


def test_a_file_too_large_is_refused_with_the_limit_in_the_message():
    big = upload(png() + b"\x00" * (10 * MB), "big.png")
    with pytest.raises(UploadRefused) as refused:
        uploads.check(big, allowed=IMAGES, max_bytes=10 * MB)
    assert refused.value.code == UploadRefused.FILE_TOO_LARGE
    assert refused.value.message == "Fichier trop volumineux\u00a0: 10\u00a0Mo au plus."
    with translation.override("en"), pytest.raises(UploadRefused) as refused:
        uploads.check(big, allowed=IMAGES, max_bytes=int(2.5 * MB))
    assert refused.value.message == "File too large: 2.5\u00a0MB at most."


def test_a_file_of_exactly_the_limit_is_accepted():
    content = png()
    assert uploads.check(BytesIO(content), allowed=IMAGES, max_bytes=len(content)) == "image/png"


# --- image_sanitize ----------------------------------------------------------------------


def test_a_camera_jpeg_loses_its_exif_gps_and_xmp_and_is_resized():
    original = jpeg_with_gps((4000, 3000))
    assert Image.open(BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the test photo has a position
    clean = uploads.image_sanitize(upload(original, "IMG_0001.JPG"), max_side=1600)
    image = Image.open(clean)
    assert image.format == "JPEG"
    assert image.size == (1600, 1200)
    assert dict(image.getexif()) == {}
    assert "GPSInfo" not in image.getexif().get_ifd(GPS_IFD)
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment"} & set(image.info)
    clean.seek(0)
    stored = clean.read()
    assert b"Canon" not in stored and b"shot at home" not in stored and b"xmpmeta" not in stored


def test_the_name_is_random_never_the_uploaded_one():
    first = uploads.image_sanitize(upload(jpeg_with_gps((20, 20)), "maison-dupont.jpg"), max_side=1600)
    second = uploads.image_sanitize(upload(jpeg_with_gps((20, 20)), "maison-dupont.jpg"), max_side=1600)
    assert first.name.endswith(".jpg") and second.name.endswith(".jpg")
    assert first.name != second.name and "dupont" not in first.name
    assert len(first.name) >= 20


def test_the_exif_orientation_is_applied():
    # a landscape sensor image the camera says to turn 90° (orientation 6): a portrait photo
    clean = uploads.image_sanitize(upload(jpeg_with_gps((400, 300), orientation=6)), max_side=1600)
    image = Image.open(clean)
    assert image.size == (300, 400)
    assert ORIENTATION not in image.getexif()


def test_a_small_image_is_not_enlarged():
    clean = uploads.image_sanitize(BytesIO(png((64, 48))), max_side=1600)
    assert Image.open(clean).size == (64, 48)


def test_an_opaque_png_becomes_a_jpeg_a_transparent_one_stays_png():
    opaque = uploads.image_sanitize(BytesIO(png(mode="RGB")), max_side=1600)
    assert opaque.name.endswith(".jpg") and Image.open(opaque).format == "JPEG"
    transparent = uploads.image_sanitize(BytesIO(png(mode="RGBA")), max_side=1600)
    image = Image.open(transparent)
    assert transparent.name.endswith(".png") and image.format == "PNG" and image.mode == "RGBA"


def test_a_transparent_webp_stays_webp():
    clean = uploads.image_sanitize(BytesIO(webp(mode="RGBA")), max_side=1600)
    image = Image.open(clean)
    assert clean.name.endswith(".webp") and image.format == "WEBP" and image.mode == "RGBA"


def test_a_truncated_image_is_refused_as_unreadable():
    truncated = jpeg_with_gps((800, 600))[:2000]
    with pytest.raises(UploadRefused) as refused:
        uploads.image_sanitize(upload(truncated, "cut.jpg"), max_side=1600)
    assert refused.value.code == UploadRefused.IMAGE_UNREADABLE
    assert refused.value.message == "Image illisible ou endommagée."


def test_garbage_after_a_png_signature_is_refused_as_unreadable():
    with pytest.raises(UploadRefused) as refused:
        uploads.image_sanitize(BytesIO(b"\x89PNG\r\n\x1a\n" + b"garbage" * 50), max_side=1600)
    assert refused.value.code == UploadRefused.IMAGE_UNREADABLE


def test_a_decompression_bomb_is_refused_before_decoding(monkeypatch):
    # given a limit of 1000 pixels, a 40 × 30 image claims 1200
    monkeypatch.setattr(uploads, "MAX_PIXELS", 1000)
    with pytest.raises(UploadRefused) as refused:
        uploads.image_sanitize(BytesIO(png((40, 30))), max_side=1600)
    assert refused.value.code == UploadRefused.FILE_TOO_LARGE
    assert "mégapixels" in refused.value.message


def test_something_else_than_an_image_is_refused_by_image_sanitize():
    with pytest.raises(UploadRefused) as refused:
        uploads.image_sanitize(BytesIO(MP4_HEAD), max_side=1600)
    assert refused.value.code == UploadRefused.FILE_TYPE_REFUSED


# --- file_response ------------------------------------------------------------------------

BODY = bytes(range(256)) * 40  # 10 240 bytes


def _serve(range_header: str | None = None, *, method="GET", body=BODY, **options):
    factory = RequestFactory()
    headers = {"Range": range_header} if range_header else {}
    request: HttpRequest = factory.generic(method, "/file", headers=headers)
    response = file_response(request, file=ContentFile(body, name="x.bin"), content_type="video/mp4", **options)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response, content


def test_the_whole_file_is_sent_with_its_headers():
    response, content = _serve()
    assert response.status_code == 200
    assert content == BODY
    assert response["Content-Length"] == str(len(BODY))
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["Content-Disposition"] == "inline"


def test_no_store_when_asked():
    response, _content = _serve(private=False)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, len(BODY) - 1),
        ("bytes=-500", len(BODY) - 500, len(BODY) - 1),
        ("bytes=10000-99999", 10000, len(BODY) - 1),  # past the end: cut at the end
        ("bytes=-999999", 0, len(BODY) - 1),
    ],
)
def test_a_single_range_is_answered_206_with_its_bytes(header, first, last):
    response, content = _serve(header)
    assert response.status_code == 206
    assert content == BODY[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(BODY)}"
    assert response["Content-Length"] == str(last - first + 1)


@pytest.mark.parametrize("header", ["bytes=20000-", "bytes=10240-10300", "bytes=-0"])
def test_a_range_past_the_end_is_416_with_the_size(header):
    response, content = _serve(header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(BODY)}"
    assert content == b""


@pytest.mark.parametrize("header", ["bytes=0-10,20-30", "bytes=abc", "items=0-10", "bytes=50-10", "bytes=-"])
def test_several_or_malformed_ranges_get_the_whole_file(header):
    response, content = _serve(header)
    assert response.status_code == 200
    assert content == BODY


def test_a_head_request_sends_the_headers_only():
    response, content = _serve("bytes=0-9", method="HEAD")
    assert response.status_code == 206 and response["Content-Length"] == "10" and content == b""


def test_content_disposition_names_are_safe():
    assert content_disposition("", inline=True) == "inline"
    assert content_disposition("photo.jpg", inline=False) == 'attachment; filename="photo.jpg"'
    assert content_disposition("../../etc/passwd", inline=True) == 'inline; filename="passwd"'
    assert content_disposition("C:\\Users\\me\\photo.jpg", inline=True) == 'inline; filename="photo.jpg"'
    assert content_disposition('a"b.pdf', inline=True) == "inline; filename=\"a_b.pdf\"; filename*=UTF-8''a%22b.pdf"
    header = content_disposition("reçu été.pdf\r\nX-Evil: 1", inline=False)
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="recu ete.pdfX-Evil: 1"')
    assert "filename*=UTF-8''re%C3%A7u%20%C3%A9t%C3%A9.pdfX-Evil%3A%201" in header
