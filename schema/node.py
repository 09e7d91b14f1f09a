"""Global object identification (Relay): the `Node` interface, `node(id:)` and `nodes(ids:)`.

Every type below `Node` keeps its own `id` (a number among objects of its type: what its own
query and the mutations take, and what every `...Id` field and stored client holds) and adds
`nodeId`, a global id naming the type and the object (Relay's `toGlobalId`: base64 of
`Type:id`, made by `strawberry.relay.GlobalID`). Relay clients point their compiler's
`schemaConfig.nodeInterfaceIdField` at `nodeId`, as with PostGraphile's `nodeId`.

`node(id:)` answers what the type's own query answers for the same viewer: each type's
`fetch_node` goes through the same service, so the same authorization (NOT_FOUND for what
the viewer may not read, existence never revealed) and the same document-kind nulls.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

import strawberry
from strawberry.relay import GlobalID, GlobalIDValueError
from strawberry.types.base import StrawberryObjectDefinition, get_object_definition

from schema.context import Info
from schema.ids import parse_id
from services.errors import BadUserInput, Reason

MAX_NODES = 100  # ids in one `nodes(ids:)` call


@strawberry.interface(
    name="Node",
    description="An object with a global id (Relay's object identification): `nodeId` "
    "fetched again with `node(id:)` answers the same object, as the viewer may read it.",
)
class Node:
    id: strawberry.ID = strawberry.field(
        description="Identifier of the object among objects of its type (what its own query "
        "and the mutations take)."
    )

    @strawberry.field(
        description="Global identifier: names the type and the object. Pass it to "
        "`node(id:)` or `nodes(ids:)` to fetch the object again."
    )
    def node_id(self) -> strawberry.ID:
        return global_id(get_object_definition(type(self), strict=True).name, self.id)

    @classmethod
    async def fetch_node(cls, info: Info, number: int) -> Self:
        """The object with this id as the viewer may read it, through the type's own
        service (NOT_FOUND when they may not)."""
        raise NotImplementedError(cls.__name__)


def global_id(type_name: str, number: str | int) -> strawberry.ID:
    """The global id of the object `number` of the GraphQL type `type_name`."""
    return strawberry.ID(str(GlobalID(type_name, str(number))))


def _parse_global_id(value: str, field: str) -> tuple[str, int]:
    try:
        decoded = GlobalID.from_id(value)
    except GlobalIDValueError:
        raise BadUserInput(
            "{field} is not a global ID (nodeId).", field=field, reason=Reason.INVALID_ID
        ) from None
    return decoded.type_name, parse_id(decoded.node_id, field)


async def fetch(info: Info, value: str, field: str = "id") -> Node:
    """The object a global id names, as the viewer may read it."""
    type_name, number = _parse_global_id(value, field)
    definition = info.schema.get_type_by_name(type_name)
    origin = definition.origin if isinstance(definition, StrawberryObjectDefinition) else None
    if not (isinstance(origin, type) and issubclass(origin, Node)):
        raise BadUserInput(
            "{field} is not a global ID (nodeId).", field=field, reason=Reason.INVALID_ID
        )
    return await origin.fetch_node(info, number)


@strawberry.type
class Query:
    @strawberry.field(
        description="The object a global id (`nodeId`) names, as the viewer may read it: the "
        "same fields as through the type's own query or list, null with NOT_FOUND when it "
        "does not exist or the viewer may not read it. BAD_USER_INPUT (reason INVALID_ID) "
        "for a value that is not a global id."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id (`nodeId`).")],
    ) -> Node | None:
        return await fetch(info, id)

    @strawberry.field(
        description="The objects these global ids name, in the same order: each as `node(id:)` "
        "answers it (null with an error at its index when not found or not a global id). At "
        "most 100 ids."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="Global ids (`nodeId`).")
        ],
    ) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise BadUserInput(
                "{field} must be between 0 and {max}.",
                field="ids",
                max=MAX_NODES,
                reason=Reason.OUT_OF_RANGE,
            )
        found: list[Any] = []
        for index, value in enumerate(ids):
            try:
                found.append(await fetch(info, value, f"ids[{index}]"))
            except Exception as error:  # graphql-core reports it at this index
                found.append(error)
        return found
