"""GraphQL fields derived from a service's row dataclass, so that a new column is declared
once, on the row (see `services.history.EnrollmentRow`), not again on the GraphQL type."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

import strawberry

T = TypeVar("T", bound=type)


def shown_fields(row: type, key: str) -> tuple[str, ...]:
    """The attributes of the dataclass `row` whose metadata has `key` (a description)."""
    return tuple(f.name for f in dataclasses.fields(row) if key in f.metadata)


def with_row_fields(row: type, key: str) -> Callable[[T], T]:
    """Gives the class, before `strawberry.type` reads it, one plain field per shown
    attribute of `row` that it does not declare itself: same name, same Python type, the
    description from the metadata. Fields keep the row's order, the class's own after.

    Plain fields (no resolver) are read directly by `performance.executor`: the class fills
    them in its constructor, with `row_values`."""
    hints = typing.get_type_hints(row)
    descriptions = {f.name: f.metadata[key] for f in dataclasses.fields(row) if key in f.metadata}

    def add(cls: T) -> T:
        own: dict[str, Any] = dict(inspect.get_annotations(cls))
        annotations: dict[str, Any] = {}
        for f in dataclasses.fields(row):
            if f.name in own:
                annotations[f.name] = own.pop(f.name)
            elif f.name in descriptions:
                annotations[f.name] = hints[f.name]
                setattr(cls, f.name, strawberry.field(description=descriptions[f.name]))
        annotations.update(own)
        cls.__annotations__ = annotations
        return cls

    return add


def row_values(row: type, key: str) -> Callable[[Any], dict[str, Any]]:
    """A function reading the shown attributes of a row as constructor arguments."""
    names = shown_fields(row, key)
    read = attrgetter(*names)
    if len(names) == 1:
        return lambda value: {names[0]: read(value)}
    return lambda value: dict(zip(names, read(value), strict=True))
