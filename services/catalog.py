"""The public course catalog."""

from __future__ import annotations

from tortoise.expressions import Q

from models.catalog import Course
from services.errors import NotFound


async def list_courses(search: str | None = None, limit: int = 100) -> list[Course]:
    """Courses by code, with their sessions prefetched (one query per relation, not per row)."""
    query = Course.all()
    if search:
        query = query.filter(Q(title__icontains=search) | Q(code__icontains=search))
    return await query.order_by("code").limit(limit).prefetch_related("sessions")


async def get_course(course_id: int) -> Course:
    course = await Course.filter(id=course_id).prefetch_related("sessions").first()
    if course is None:
        raise NotFound("Course")
    return course


async def courses_by_id(course_ids: list[int]) -> dict[int, Course]:
    """These courses of the public catalog with their sessions, in two queries."""
    rows = await Course.filter(id__in=list(set(course_ids))).prefetch_related("sessions")
    return {row.id: row for row in rows}
