"""Staff edits of a record's fields, applied one way for every domain: only fields the
domain lists as editable, text stripped, the row locked, only real changes written.
Each domain then writes its own audit row from the returned changes (a tracking
history row, a license activity row...)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: Any
    new: Any


def fields_apply(
    *, obj: models.Model, changes: dict, editable: frozenset[str], select_related: Iterable[str] = ()
) -> tuple[models.Model, list[FieldChange]]:
    """Write `changes` to `obj`'s row; returns the locked, saved row and what really
    changed (empty: nothing written). Call inside the caller's transaction."""
    model = type(obj)
    refused = set(changes) - editable
    if refused:
        # A programming error (the admin form lists the editable fields), not a user's.
        raise ValueError(f"{model.__name__}: {', '.join(sorted(refused))} cannot be edited as fields")
    # Locked so two staff edits are applied one after the other, each against what the
    # other wrote (the audit row's "old" values are the ones really replaced).
    current = model.objects.select_for_update(of=("self",)).select_related(*select_related).get(pk=obj.pk)
    diffs = []
    for name, value in changes.items():
        value = value.strip() if isinstance(value, str) else value
        old = getattr(current, name)
        if old != value:
            setattr(current, name, value)
            diffs.append(FieldChange(name, old, value))
    if not diffs:
        return current, diffs
    changed = [change.name for change in diffs]
    current.full_clean(exclude=[f.name for f in model._meta.fields if f.name not in changed])
    stamped = [f.name for f in model._meta.fields if getattr(f, "auto_now", False)]
    current.save(update_fields=changed + stamped)
    for name in changed + stamped:
        setattr(obj, name, getattr(current, name))
    return current, diffs
