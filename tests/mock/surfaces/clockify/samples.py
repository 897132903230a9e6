"""The response samples of the Clockify seed document (``clockify-api-v1.txt``), parsed.

The document prints each operation as its method and path (``get`` / ``/v1/user``) followed,
where it has one, by "Response samples", the status and the JSON. Its renderer collapses
nested objects to ``{}`` and prints placeholders (``"string"``, ids that are not hex,
``"60000"`` durations, arrays of enums as one JSON string): ``comparable`` reads those the
way the document means them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

METHODS = {"get", "post", "put", "patch", "delete"}
NAME = "clockify-api-v1.txt"


def seed_document() -> Path | None:
    """The seed document: beside the repository (``../shared/seeds``) where it is checked out
    there, else the copy the tests carry (``tests/data``), so a clone anywhere runs the test."""
    root = Path(__file__).resolve().parents[4]
    for folder in (root.parent, root.parent.parent):  # a clone, or a worktree one level down
        candidate = folder / "shared" / "seeds" / NAME
        if candidate.exists():
            return candidate
    copy = root / "tests" / "data" / NAME
    return copy if copy.exists() else None


@dataclass(frozen=True)
class Sample:
    method: str
    path: str
    status: str
    value: Any

    @property
    def label(self) -> str:
        return f"{self.method} {self.path} {self.status}"


def samples(text: str) -> list[Sample]:
    lines = text.splitlines()
    found: list[Sample] = []
    operation: tuple[str, str] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if line in METHODS and lines[index + 1 : index + 2] and lines[index + 1].startswith("/v1/"):
            operation = (line.upper(), lines[index + 1].strip())
        if line == "Response samples" and operation:
            start = index + 2
            while not lines[start].startswith(("{", "[")):
                start += 1
            depth, end = 0, start
            for end in range(start, len(lines)):
                depth += sum(lines[end].count(c) for c in "{[") - sum(
                    lines[end].count(c) for c in "}]"
                )
                if depth <= 0:
                    break
            value = json.loads("\n".join(lines[start : end + 1]))
            found.append(Sample(*operation, lines[index + 1].strip(), value))
            index = end
        index += 1
    return found


def comparable(value: Any) -> Any:
    """The sample without the renderer's collapsed ``{}`` (not data: the reader expands
    them) and with arrays printed as one JSON string read back as arrays."""
    if isinstance(value, list):
        return [comparable(v) for v in value if v != {}]
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if v != {}}
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def key_differences(sample: Any, answer: Any, where: str = "") -> list[str]:
    """Keys of the sample the answer lacks or spells otherwise, and arrays it answers as
    null, through nested objects and the first item of arrays (an object the sample shows
    may be null: the record does not have it)."""
    found: list[str] = []
    if isinstance(sample, list) and isinstance(answer, list):
        if sample and answer:
            found += key_differences(sample[0], answer[0], where + "[0]")
        elif sample and isinstance(sample[0], dict):
            found.append(f"{where or '.'}: the answer is an empty array")
        return found
    if not isinstance(sample, dict) or not isinstance(answer, dict):
        return found
    folded = {k.casefold(): k for k in answer}
    for key, value in sample.items():
        if key in answer:
            if isinstance(value, list) and answer[key] is None:
                found.append(f"{where}.{key}: null where the document shows an array")
            found += key_differences(value, answer[key], f"{where}.{key}")
        elif key.casefold() in folded:
            found.append(f"{where}.{key}: spelt {folded[key.casefold()]!r}")
        else:
            found.append(f"{where}.{key}: missing")
    return found
