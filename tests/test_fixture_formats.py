"""Demo values fit their fields on every surface: emails are emails, URLs are URLs, pictures
render, colours vary and match their field's pattern."""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

import understudy.fixtures as fixtures
from understudy.fixtures import formats


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field name, value) of every string in a record, nested ones included."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from strings(inner, key)
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner, path)
    elif isinstance(value, str):
        yield path, value


@pytest.mark.parametrize("surface", fixtures.SURFACES)
def test_demo_values_fit_their_fields(surface: str) -> None:
    tenant = fixtures.generate(surface, size="small", seed=42)
    colours: dict[str, set[str]] = defaultdict(set)
    for name, records in tenant.collections.items():
        for record in records:
            for field, value in strings(record):
                said = formats.words(field)
                where = f"{surface}.{name}.{field}={value[:40]!r}"
                if said & formats.EMAIL_WORDS:
                    assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", value), where
                if said & formats.IMAGE_WORDS:
                    assert value.startswith("data:image/svg+xml;base64,"), where
                    svg = base64.b64decode(value.split(",", 1)[1]).decode()
                    assert svg.startswith("<svg") and svg.endswith("</svg>"), where
                elif said & {"url", "link", "href", "website"}:
                    assert re.match(r"https?://[^/\s]+", value), where
                if said & formats.COLOUR_WORDS:
                    assert re.fullmatch(r"#[0-9A-Fa-f]{6}", value), where
                    colours[f"{name}.{field}"].add(value)
    for field, seen in colours.items():
        assert len(seen) > 1, f"every {field} is {seen}"


def test_words_split_camel_case_before_lowering() -> None:
    assert formats.words("imageUrl") == {"image", "url"}
    assert formats.words("ccEmails") == {"cc", "emails"}
    assert formats.words("profile_picture") == {"profile", "picture"}


def test_the_palette_keeps_to_a_pattern() -> None:
    assert formats.colours("^#(?:[0-9a-fA-F]{6}){1}$") == list(formats.PALETTE)
    assert formats.colours("^#FF[0-9A-F]{4}$") == ["#FFC107", "#FF9800", "#FF5722"]
