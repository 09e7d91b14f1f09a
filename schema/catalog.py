"""GraphQL types and queries of the public course catalog."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from models.catalog import Course, CourseSession
from schema.ids import parse_id
from services import catalog


@strawberry.type(name="CourseSession", description="A dated run of a course, in one city.")
class CourseSessionType:
    id: strawberry.ID = strawberry.field(description="Identifier of the session.")
    starts_on: datetime.date = strawberry.field(description="First day of the session.")
    ends_on: datetime.date = strawberry.field(description="Last day of the session.")
    city: str = strawberry.field(description="Where the session takes place.")
    capacity: int = strawberry.field(description="Number of seats of the session.")
    seats_left: int = strawberry.field(description="Seats still free for new enrollments.")
    course_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, session: CourseSession) -> CourseSessionType:
        return cls(
            id=strawberry.ID(str(session.id)),
            starts_on=session.starts_on,
            ends_on=session.ends_on,
            city=session.city,
            capacity=session.capacity,
            seats_left=max(session.capacity - session.seats_booked, 0),
            course_id=session.course_id,  # type: ignore[attr-defined]
        )


@strawberry.type(name="Course", description="A training course of the public catalog.")
class CourseType:
    id: strawberry.ID = strawberry.field(description="Identifier of the course.")
    code: str = strawberry.field(description="Catalog code, e.g. `MGT-101`.")
    title: str = strawberry.field(description="Title of the course.")
    summary: str = strawberry.field(description="What the course teaches.")
    duration_days: Decimal = strawberry.field(description="Length of the course in days.")
    list_price: Decimal = strawberry.field(
        description="Catalog price per trainee, excluding VAT, before any discount."
    )
    sessions: list[CourseSessionType] = strawberry.field(
        description="Sessions of the course, earliest first."
    )

    @classmethod
    def from_model(cls, course: Course) -> CourseType:
        sessions = sorted(course.sessions, key=lambda s: (s.starts_on, s.id))
        return cls(
            id=strawberry.ID(str(course.id)),
            code=course.code,
            title=course.title,
            summary=course.summary,
            duration_days=course.duration_days,
            list_price=course.list_price,
            sessions=[CourseSessionType.from_model(s) for s in sessions],
        )


@strawberry.type
class Query:
    @strawberry.field(description="The public course catalog, by code. Open to everyone.")
    async def courses(
        self,
        search: Annotated[
            str | None, strawberry.argument(description="Part of a title or code to look for.")
        ] = None,
    ) -> list[CourseType]:
        return [CourseType.from_model(c) for c in await catalog.list_courses(search)]

    @strawberry.field(description="One course of the catalog, or null with NOT_FOUND.")
    async def course(
        self, id: Annotated[strawberry.ID, strawberry.argument(description="Course identifier.")]
    ) -> CourseType | None:
        return CourseType.from_model(await catalog.get_course(parse_id(id)))
