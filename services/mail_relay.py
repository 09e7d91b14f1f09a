"""Mail sent because of one person's action to somebody else's address.

Two guards keep the official sender from relaying a stranger's words:

* free text a person typed (a cancel reason, a note) goes into a mail to another address
  only when the policy allows the author (`write_in_mails_to_others`: staff); otherwise the
  mail says where to read it (the customer space, behind the recipient's own sign-in);
* mails a person's action sends to an address other than their own are limited per
  recipient (`MAILS_TO_OTHERS_PER_RECIPIENT_PER_HOUR`), whoever sends them.
"""

from __future__ import annotations

from limits import parse

from policies.engine import Policy
from services import rate_limits
from services.actors import Actor
from services.rate_limits import Limit
from settings import get_settings

# Shown instead of text the recipient's mail may not carry, in the recipient's language.
NOT_RELAYED = {
    "fr": "consultable dans votre espace client",
    "en": "shown in your customer space",
}


def _limit() -> Limit:
    per_hour = get_settings().mails_to_others_per_recipient_per_hour
    return Limit("mails-to-others-recipient", parse(f"{per_hour} per hour"))


def writes_for_others(policy: Policy, actor: Actor, recipient: str) -> bool:
    """Whether the actor's free text may go verbatim into a mail to `recipient`: their own
    address once they proved it is theirs, or any address when the policy allows them."""
    own = actor.viewer.email_verified and recipient == actor.viewer.email
    return own or policy.is_allowed(actor.viewer, "write_in_mails_to_others", actor.viewer)


def relayed_text(policy: Policy, actor: Actor, recipient: str, text: str, language: str) -> str:
    """`text` when it may be mailed to `recipient`, else a pointer to the customer space."""
    if not text:
        return "-"
    if writes_for_others(policy, actor, recipient):
        return text
    return NOT_RELAYED.get(language, NOT_RELAYED["fr"])


async def may_mail(policy: Policy, actor: Actor, recipient: str) -> bool:
    """Count a mail the actor's action sends to `recipient`. False when that address already
    received its allowance of mails caused by other people this hour (staff are exempt)."""
    if writes_for_others(policy, actor, recipient):
        return True
    return await rate_limits.try_hit(_limit(), recipient)


async def require_mail_slot(policy: Policy, actor: Actor, recipient: str) -> None:
    """Like `may_mail`, for a mail the action cannot do without: RATE_LIMITED when over."""
    if not await may_mail(policy, actor, recipient):
        limiter = rate_limits.get_limiter()
        raise rate_limits.RateLimited(
            await limiter.retry_after(_limit(), recipient), limit="mails-to-others-recipient"
        )
