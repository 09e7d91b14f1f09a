"""How GraphQL operations are executed: graphql-core's executor, made cheap for long lists.

A 50-row page of enrollments with their documents is about 3,800 fields. graphql-core
completes each one the same general way (a resolve info, a response path, a resolver call,
then a recursive completion), about 15 µs a field. The changes below all live in the
executor; the schema and the answers are the same (performance/README.md has the figures):

- **Plain fields are read directly.** A field with no resolver of its own (a Strawberry
  "basic" field) whose type is a scalar, an enum or a list of them is read with one
  `attrgetter` per selection and serialized by its type, with no resolve info, response
  path or resolver call. Anything unusual (an exception, a null where the type forbids it)
  sends the whole object back to graphql-core, which completes it the standard way and
  reports it exactly as it always would (the object's resolvers have not run yet, and
  reading an attribute has no side effect).
- **Lists of objects are completed directly**: each item goes straight to its fields,
  skipping graphql-core's generic steps between a list and its items' fields (the steps
  that matter, null items, awaitables and errors, are kept).
- **The time budget is checked here**, before each field resolved the standard way and
  before each object read directly, instead of through a per-field middleware that wrapped
  every resolver (and ruled out the first change).

Resolvers with code of their own, field middleware, `@defer`/`@stream` and errors all go the
standard way.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, cast

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLError,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLString,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

from schema import limits

_DEFINITION = "strawberry-definition"
# Values these scalars serialize to themselves: no call needed when the type matches.
_SELF_SERIALIZING: dict[str, type] = {
    GraphQLString.name: str,
    GraphQLID.name: str,
    GraphQLBoolean.name: bool,
}


def _serializer(leaf: GraphQLScalarType | GraphQLEnumType) -> Callable[[Any], Any]:
    """The leaf type's own serialization, with a dictionary in front for enums (Strawberry's
    compares the value with each member in turn)."""
    serialize = leaf.coerce_output_value
    if not isinstance(leaf, GraphQLEnumType):
        return serialize
    names: dict[Any, str] = {}
    for member in getattr(leaf, "wrapped_cls", ()):
        names[member] = serialize(member)

    def serialize_enum(value: Any) -> Any:
        name = names.get(value)
        return serialize(value) if name is None else name

    return serialize_enum


@dataclass(frozen=True, slots=True)
class _PlainField:
    """How to read one field of a selection directly."""

    response_name: str
    attribute: str
    serialize: Callable[[Any], Any]
    # A value of this type is its own serialization (str for String, bool for Boolean).
    same_as: type | None
    nullable: bool
    is_list: bool


def _plain_field(response_name: str, field: Any) -> _PlainField | None:
    """How to read a field directly, or None when it needs graphql-core's full treatment."""
    strawberry_field = (field.extensions or {}).get(_DEFINITION)
    if not isinstance(strawberry_field, StrawberryField) or not strawberry_field.is_basic_field:
        return None
    if not getattr(field.resolve, "_is_default", False):
        return None
    nullable = True
    kind: GraphQLOutputType = field.type
    if isinstance(kind, GraphQLNonNull):
        nullable, kind = False, kind.of_type
    is_list = isinstance(kind, GraphQLList)
    if isinstance(kind, GraphQLList):
        item = kind.of_type
        if not isinstance(item, GraphQLNonNull):
            return None
        kind = item.of_type
    if not is_leaf_type(kind):
        return None
    return _PlainField(
        response_name,
        strawberry_field.python_name,
        _serializer(kind),
        None if is_list else _SELF_SERIALIZING.get(kind.name),
        nullable,
        is_list,
    )


_MISSING = object()


def _tuple_getter(attributes: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A function reading these attributes of an object as a tuple, in C (`attrgetter`)."""
    if not attributes:
        return lambda source: ()
    if len(attributes) == 1:
        one = attrgetter(attributes[0])
        return lambda source: (one(source),)
    return attrgetter(*attributes)


class _Reader:
    """Reads the plain fields of one selection on one object type."""

    def __init__(self, fields: GroupedFieldSet, plain: list[_PlainField]) -> None:
        self.fields = fields  # kept so that its id cannot be reused while this is cached
        self.plain = tuple(plain)
        read_directly = {p.response_name for p in plain}
        self.standard = tuple(name for name in fields if name not in read_directly)
        self.values = _tuple_getter([p.attribute for p in plain])
        self.in_order = not self.standard or list(fields)[: len(plain)] == [
            p.response_name for p in plain
        ]

    def read(self, source: Any, results: dict[str, Any]) -> bool:
        """Puts each plain field's value in `results`, in the query's order. False as soon
        as one cannot be read directly: the whole object then goes the standard way (so that
        its errors come in the query's order, the first failing non-null field first)."""
        try:
            values = self.values(source)
        except Exception:  # a missing attribute: the standard way reports it
            return False
        for field, value in zip(self.plain, values, strict=True):
            try:
                if value is None:
                    if field.nullable:
                        results[field.response_name] = None
                        continue
                elif type(value) is field.same_as:
                    results[field.response_name] = value
                    continue
                elif field.is_list:
                    # Only real lists: graphql-core refuses a string or a mapping here.
                    if isinstance(value, list | tuple):
                        items = [field.serialize(item) for item in value]
                        if None not in items and Undefined not in items:
                            results[field.response_name] = items
                            continue
                else:
                    value = field.serialize(value)
                    if value is not None and value is not Undefined:
                        results[field.response_name] = value
                        continue
            except Exception:  # the standard way reports it
                return False
            return False
        return True


def _merge(
    results: dict[str, Any], standard: tuple[str, ...], completed: dict[str, Any]
) -> dict[str, Any]:
    """Fills in the fields completed the standard way; a field graphql-core left out of its
    answer (an unknown field) is left out of ours."""
    results.update(completed)
    for name in standard:
        if name not in completed:
            del results[name]
    return results


class TimeBudgetExceeded(GraphQLError):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"This operation ran out of its {seconds:g} second budget: "
            "ask for fewer fields or a smaller page.",
            extensions={
                "code": limits.LIMIT_ERROR_CODE,
                "reason": limits.LIMIT_ERROR_REASON,
                "timeBudgetSeconds": seconds,
            },
        )


class EspaceExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor with the changes described in this module."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read per operation, so that tests (and operators) may change it without a restart.
        self.budget = limits.TIME_BUDGET_SECONDS
        self.deadline = time.monotonic() + self.budget
        # A field middleware (a Strawberry extension with a `resolve` hook) must see every
        # field: then every field goes the standard way.
        manager = self.middleware_manager
        self.direct = manager is None or not manager.middlewares
        self.readers: dict[tuple[str, int], _Reader] = {}

    # -- the time budget -------------------------------------------------------------------

    def _out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        if self._out_of_time():
            field = self.schema.get_field(parent_type, field_details_list[0].node.name.value)
            if field is not None:
                # As if the resolver had raised: null, or the parent null for a non-null field.
                self.handle_field_error(
                    TimeBudgetExceeded(self.budget), field.type, field_details_list, path
                )
                return None
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    # -- plain fields ----------------------------------------------------------------------

    def _reader(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> _Reader:
        """The reader of this selection on this type, built once per operation."""
        key = (parent_type.name, id(fields))
        reader = self.readers.get(key)
        if reader is None:
            plain = []
            for response_name, details in fields.items():
                field = self.schema.get_field(parent_type, details[0].node.name.value)
                read = _plain_field(response_name, field) if field is not None else None
                if read is not None:
                    plain.append(read)
            reader = self.readers[key] = _Reader(fields, plain)
        return reader

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        if not self.direct or self._out_of_time():
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        reader = self._reader(parent_type, grouped_field_set)
        results: dict[str, Any] = {}
        if not reader.in_order:
            results = dict.fromkeys(grouped_field_set)  # placeholders in the query's order
        if not reader.read(source_value, results):
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        standard = reader.standard
        if not standard:
            return results
        # The rest (resolvers, objects) the standard way, in one call so that awaitables and
        # errors are handled as graphql-core always does.
        rest = {name: grouped_field_set[name] for name in standard}
        completed = super().execute_fields(parent_type, source_value, path, rest, position_context)
        if self.is_awaitable(completed):
            pending = cast(Awaitable[dict[str, Any]], completed)

            async def merged() -> dict[str, Any]:
                return _merge(results, standard, await pending)

            return merged()
        return _merge(results, standard, cast(dict[str, Any], completed))

    # -- lists -----------------------------------------------------------------------------

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo,
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> Any:
        if (
            not self.direct
            or position_context is not None
            or not isinstance(items, list | tuple)
            or self.get_stream_usage(field_details_list, path) is not None
        ):
            return super().complete_iterable_value(
                item_type, field_details_list, info, path, items, position_context
            )
        complete = self._item_completer(item_type, field_details_list, info)
        completed: list[Any] = []
        waiting = [i for i, item in enumerate(items) if complete(item, path, i, completed)]
        return self._settled(completed, waiting) if waiting else completed

    def _item_completer(
        self, item_type: GraphQLOutputType, field_details_list: FieldDetailsList, info: Any
    ) -> Callable[[Any, Path, int, list[Any]], bool]:
        """A function completing one item into `completed`, True when it appended an
        awaitable. Objects go straight to their fields (what `complete_value` would do for a
        non-null object item after its checks); everything else the standard way.

        A type implementing an interface (`Node`) has an `is_type_of` check (Strawberry adds
        one): asked here as `complete_object_value` would ask it, and any answer but a plain
        True sends the item the standard way, which asks again and reports it."""
        named = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        object_type: GraphQLObjectType | None = None
        is_type_of = None
        fields = None
        if isinstance(named, GraphQLObjectType):
            object_type = named
            is_type_of = named.is_type_of
            collected = self.collect_subfields(object_type, field_details_list)
            if not collected.new_defer_usages:
                fields = collected.grouped_field_set

        def complete(item: Any, path: Path, index: int, completed: list[Any]) -> bool:
            item_path = path.add_key(index, None)
            if self.is_awaitable(item):
                completed.append(
                    self.complete_awaitable_list_item_value(
                        item, item_type, field_details_list, info, item_path, None
                    )
                )
                return True
            if (
                object_type is None
                or fields is None
                or item is None
                or isinstance(item, Exception)
                or (is_type_of is not None and is_type_of(item, info) is not True)
            ):
                return self.complete_list_item_value(
                    item, completed, item_type, field_details_list, info, item_path, None
                )
            try:
                value = self.execute_fields(object_type, item, item_path, fields, None)
            except Exception as raw_error:
                self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                completed.append(None)
                return False
            if not self.is_awaitable(value):
                completed.append(value)
                return False

            async def await_completed() -> Any:
                try:
                    return await value
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    return None

            completed.append(await_completed())
            return True

        return complete

    async def _settled(self, completed: list[Any], waiting: list[int]) -> list[Any]:
        done = await gather_with_cancel(*(completed[i] for i in waiting))
        for index, value in zip(waiting, done, strict=True):
            completed[index] = value
        return completed
