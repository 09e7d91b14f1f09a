"""E-mail: a transactional outbox, and the templates mails are rendered from.

`queue_mail` writes an `OutboxMail` row in the caller's transaction, so a mail exists if
and only if the change that causes it is committed. Templates live in
`infra/mail_templates/<name>.<language>.txt` (first line `Subject: ...`, then the plain-text
body) with an optional `<name>.<language>.html`; placeholders are `$name` (string.Template).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from string import Template
from typing import Any

from models.mail import OutboxMail

TEMPLATE_DIR = Path(__file__).resolve().parent / "mail_templates"
DEFAULT_LANGUAGE = "fr"


class MissingTemplate(LookupError):
    pass


def render(template: str, language: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text body, html body) of a template in a language (French as fallback)."""
    for lang in (language, DEFAULT_LANGUAGE):
        text_path = TEMPLATE_DIR / f"{template}.{lang}.txt"
        if text_path.exists():
            break
    else:
        raise MissingTemplate(template)
    first, _, body = text_path.read_text(encoding="utf-8").partition("\n")
    if not first.startswith("Subject:"):
        raise MissingTemplate(f"{text_path.name} must start with 'Subject:'")
    subject = Template(first.removeprefix("Subject:").strip()).safe_substitute(context)
    text = Template(body.lstrip("\n")).safe_substitute(context)
    html_path = TEMPLATE_DIR / f"{template}.{lang}.html"
    if html_path.exists():
        escaped = {k: html.escape(str(v)) for k, v in context.items()}
        html_body = Template(html_path.read_text(encoding="utf-8")).safe_substitute(escaped)
    else:
        html_body = ""
    return subject, text, html_body


async def queue_mail(
    to: str, template: str, language: str = DEFAULT_LANGUAGE, **context: Any
) -> OutboxMail:
    """Put a mail in the outbox; the sender delivers it after the transaction commits."""
    subject, text, html_body = render(template, language, context)
    return await OutboxMail.create(
        to=to,
        subject=subject,
        text_body=text,
        html_body=html_body,
        template=template,
        next_attempt_at=datetime.now(UTC),
    )
