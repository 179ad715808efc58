import re

import pytest

from tracking import numbers
from tracking.services import tracked_item_allocate

FORMAT = re.compile(r"^(REV|LOC)-\d{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def test_generated_numbers_have_the_documented_format():
    for _ in range(200):
        number = numbers.generate("REV", 2026)
        assert FORMAT.match(number), number
        assert numbers.normalize(number) == number


def test_generated_numbers_do_not_repeat():
    generated = {numbers.generate("LOC", 2026) for _ in range(20000)}
    assert len(generated) == 20000


@pytest.mark.parametrize("seed", range(40))
def test_check_symbol_catches_every_single_symbol_error(seed):
    number = numbers.generate("REV", 2026)
    prefix, year, body = number[:3], number[4:8], number[9:].replace("-", "")
    for position in range(8):
        for symbol in numbers.ALPHABET:
            if symbol != body[position]:
                altered = body[:position] + symbol + body[position + 1 :]
                assert not numbers.is_valid(prefix, year, altered), (number, altered)


@pytest.mark.parametrize("seed", range(40))
def test_check_symbol_catches_every_adjacent_swap(seed):
    number = numbers.generate("LOC", 2026)
    prefix, year, body = number[:3], number[4:8], number[9:].replace("-", "")
    for i in range(7):
        if body[i] != body[i + 1]:
            swapped = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
            assert not numbers.is_valid(prefix, year, swapped), (number, swapped)


def test_check_covers_the_prefix_and_year():
    number = numbers.generate("REV", 2026)
    body = number[9:].replace("-", "")
    assert not numbers.is_valid("LOC", "2026", body)
    assert not numbers.is_valid("REV", "2025", body)


def test_normalize_forgives_case_spaces_dashes_and_lookalike_letters():
    number = numbers.format_number("REV", "2026", "K7Q4M10" + numbers.check_symbol("REV", "2026", "K7Q4M10"))
    body = number[9:].replace("-", "")
    typed_forms = [
        number.lower(),
        number.replace("-", ""),
        number.replace("-", " "),
        f"  rev 2026 {body[:4]} {body[4:]}  ",
        number.replace("1", "I").replace("0", "O"),
        number.replace("1", "l").lower(),
        f"REV-2O26-{body}",
    ]
    for typed in typed_forms:
        assert numbers.normalize(typed) == number, typed


def test_normalize_keeps_the_letters_of_the_prefix():
    number = numbers.generate("LOC", 2026)
    assert numbers.normalize(number.lower()) == number


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "REV",
        "REV-2026",
        "REV-2026-ABCD",
        "REV-2026-ABCD-EFGHX",
        "1234-2026-ABCD-EFGH",
        "REV-2026-UUUU-UUUU",
        "REV-20X6-ABCD-EFGH",
        "REV-2026-ABCD-EFG!",
        "x" * 100,
    ],
)
def test_normalize_rejects_malformed_input(typed):
    assert numbers.normalize(typed) is None


@pytest.mark.django_db
def test_allocation_gives_unique_numbers_and_internal_references():
    items = [tracked_item_allocate(prefix="REV", initial_status="en_attente") for _ in range(50)]
    assert len({i.number for i in items}) == 50
    assert all(i.reference == f"REV-{i.pk:06d}" for i in items)


@pytest.mark.django_db
def test_allocation_refuses_a_prefix_no_service_registered():
    from tracking.registry import RegistryError

    with pytest.raises(RegistryError):
        tracked_item_allocate(prefix="CAR", initial_status="x")
