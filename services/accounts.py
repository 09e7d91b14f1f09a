"""Accounts: sign-up, sign-in, passwords, e-mail verification and change, accounts created
offline (rules 1-5).

Every function that checks a password or a token counts the attempt in
`services.rate_limits` first, and answers an unknown e-mail exactly like a wrong password.

The enrollment history is matched by e-mail (rule 4), so an address only counts once its
owner proved they receive mail there by following a link we e-mailed to it: the sign-up
verification link, a set-password or reset link, or the confirmation link of an e-mail
change. Until then the account works but its history by e-mail is empty (the policy reads
`Viewer.email_verified`), and known training managers get no admin rights (rule 9).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from limits import parse
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from infra.mail_outbox import queue_mail
from infra.one_time_tokens import (
    claim_token,
    consume_token,
    issue_token,
    revoke_tokens,
    token_is_usable,
)
from models.access import AdminAccessRequest
from models.accounts import Account
from models.companies import Company, Establishment
from models.enrollments import Enrollment
from models.enums import AccountKind, Language, RequestOrigin, TokenPurpose
from policies.engine import Policy, Viewer
from services import audit, rate_limits
from services.admins import first_registrant_admin_on_verification
from services.emails import normalize_email
from services.errors import (
    N_,
    BadUserInput,
    Conflict,
    FieldChecks,
    RateLimited,
    Reason,
    Unauthenticated,
)
from services.login_sessions import end_other_sessions, end_session, start_session
from services.passwords import (
    check_password_rules,
    hash_password_async,
    needs_rehash,
    verify_password_async,
)
from services.rate_limits import (
    PASSWORD_FAILURES_PER_ACCOUNT,
    PASSWORD_FAILURES_PER_ADDRESS,
    RESET_REQUESTS_PER_ACCOUNT,
    RESET_REQUESTS_PER_ADDRESS,
    RESETS_PER_ADDRESS,
    SIGN_UPS_PER_ACCOUNT,
    SIGN_UPS_PER_ADDRESS,
    Limit,
)
from services.text import clean_name, column_length
from services.training_managers import grant_known_training_manager_accesses
from settings import get_settings

WRONG_CREDENTIALS = N_("Wrong e-mail or password.")
INVALID_LINK = N_("This link is invalid, expired or already used. Ask for a new one.")
PASSWORD_TOKENS = (TokenPurpose.RESET_PASSWORD, TokenPurpose.SET_PASSWORD)
# Links that prove the current login e-mail: void once the login e-mail changes.
ADDRESS_TOKENS = (*PASSWORD_TOKENS, TokenPurpose.VERIFY_EMAIL, TokenPurpose.CONFIRM_EMAIL_CHANGE)

# resendVerificationEmail: each request counts, like requestPasswordReset.
VERIFICATION_REQUESTS_PER_ACCOUNT = Limit("verification-requests-account", parse("3 per hour"))
VERIFICATION_REQUESTS_PER_ADDRESS = Limit("verification-requests-address", parse("10 per hour"))
# changeEmail: each call counts (it tells counts and checks a password)...
EMAIL_CHANGE_ATTEMPTS_PER_ACCOUNT = Limit("email-change-attempts-account", parse("10 per hour"))
EMAIL_CHANGE_ATTEMPTS_PER_ADDRESS = Limit("email-change-attempts-address", parse("30 per hour"))
# ...and each confirmation link mailed to a new address, per account and per recipient.
EMAIL_CHANGE_REQUESTS_PER_ACCOUNT = Limit("email-change-requests-account", parse("5 per hour"))
EMAIL_CHANGE_LINKS_PER_RECIPIENT = Limit("email-change-links-recipient", parse("3 per hour"))
# verifyEmail and confirmEmailChange: each use of a link counts.
ADDRESS_LINK_USES_PER_ADDRESS = Limit("address-links-address", parse("10 per 15 minutes"))


@dataclass(frozen=True)
class SignedIn:
    """An account and the bearer token of the session just opened for it."""

    account: Account
    token: str


@dataclass(frozen=True)
class CompanyDetails:
    """What a company sign-up says about the company: its establishment's SIRET, and the
    names used when that SIRET is new to us."""

    siret: str
    company_name: str = ""
    establishment_name: str = ""
    city: str = ""


@dataclass(frozen=True)
class EmailChange:
    """Rule 5: how the enrollment history moves when the login e-mail changes. `confirmed`
    is False while the change waits for the link mailed to the new address."""

    account: Account
    old_email: str
    new_email: str
    enrollments_leaving_history: int
    enrollments_joining_history: int
    confirmed: bool


def visible_phone(policy: Policy, viewer: Viewer | None, account: Account) -> str | None:
    """The account's phone number, or Forbidden when the policy hides it from the viewer."""
    policy.authorize_field(
        viewer, "read", account, "phone", message="You may not read this phone number."
    )
    return account.phone


def _link(path: str, token: str) -> str:
    """A link we e-mail, built from PUBLIC_URL, never from the request's Host."""
    return f"{get_settings().public_url.rstrip('/')}/{path}?token={token}"


def password_link(token: str) -> str:
    """The link of a reset e-mail."""
    return _link("reset-password", token)


def set_password_link(token: str) -> str:
    """The link of the first-password e-mail (rule 2). Same token use as a reset link
    (`resetPassword`); its own page path lets the front end greet a new account."""
    return _link("set-password", token)


def verification_link(token: str) -> str:
    """The link of the e-mail that verifies the login e-mail of a new account."""
    return _link("verify-email", token)


def email_change_link(token: str) -> str:
    """The link, mailed to the new address, that confirms a login e-mail change."""
    return _link("confirm-email-change", token)


async def _mark_verified(account: Account, how: str, client_address: str = "") -> bool:
    """Record that the owner of `account` proved they receive mail at its login e-mail
    (they followed a link we mailed there). Only then do known training managers become
    admins (rule 9). Returns True when the account was not verified before."""
    if account.email_verified_at is not None:
        return False
    account.email_verified_at = datetime.now(UTC)
    await account.save(update_fields=["email_verified_at", "updated_at"])
    await grant_known_training_manager_accesses(account)
    await first_registrant_admin_on_verification(account)
    await audit.record(
        "account.email_verified",
        actor=account,
        target_type="Account",
        target_id=account.id,
        after={"email": account.email, "by": how},
        client_address=client_address,
    )
    return True


async def mark_address_proven(account: Account, how: str, client_address: str = "") -> bool:
    """The owner of `account` followed a link mailed to its login e-mail by another flow
    (an invitation): record the proof, as `_mark_verified` does. Call inside its transaction."""
    return await _mark_verified(account, how, client_address)


async def ensure_account(
    email: str,
    *,
    full_name: str = "",
    kind: AccountKind = AccountKind.COMPANY,
    reason: str = "",
) -> tuple[Account, bool]:
    """The account of `email`, created when unknown (rule 2).

    A new account has no password: it gets a one-time link, valid 7 days, to choose one.
    Its e-mail is not verified (whoever typed it may have erred) until that link is used,
    which proves the address. Call inside the transaction of the change that needs the
    account. Returns (account, created).
    """
    address = normalize_email(email)
    account = await Account.get_or_none(email=address)
    if account is not None:
        return account, False
    account = await Account.create(email=address, full_name=full_name, kind=kind.value)
    token = await issue_token(account, TokenPurpose.SET_PASSWORD)
    await queue_mail(
        account.email,
        "set_password",
        account.language,
        link=set_password_link(token),
        reason=reason,
    )
    return account, True


# --- helpers ----------------------------------------------------------------------------


async def _hash(password: str) -> str:
    """argon2 takes tens of milliseconds: off the event loop, within the process's slots."""
    return await hash_password_async(password)


def valid_siret(siret: str) -> bool:
    """14 ASCII digits (not fullwidth or Arabic-Indic ones) passing the Luhn check (La
    Poste's establishments use a digit sum divisible by 5 instead, as INSEE does)."""
    if len(siret) != 14 or not (siret.isascii() and siret.isdigit()):
        return False
    if siret.startswith("356000000"):
        return sum(int(d) for d in siret) % 5 == 0
    total = 0
    for index, char in enumerate(reversed(siret)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _clean_name(value: str, field: str, *, required: bool, max_length: int = 200) -> str:
    return clean_name(value, field, required=required, max_length=max_length)


def _check_company_choice(kind: AccountKind, company: CompanyDetails | None) -> None:
    """A company account names its establishment (with a valid SIRET), an individual none."""
    if kind == AccountKind.COMPANY and company is None:
        raise BadUserInput(
            "A company account names its establishment.",
            field="company",
            reason=Reason.REQUIRED,
        )
    if kind == AccountKind.INDIVIDUAL and company is not None:
        raise BadUserInput(
            "An individual account names no company.",
            field="company",
            reason=Reason.INVALID_COMBINATION,
        )
    if company is not None and not valid_siret("".join(company.siret.split())):
        raise _invalid_siret()


def _invalid_siret() -> BadUserInput:
    return BadUserInput(
        "A SIRET number has 14 digits and a valid check digit.",
        field="company.siret",
        reason=Reason.INVALID_SIRET,
    )


def _clean_siret(details: CompanyDetails) -> str:
    siret = "".join(details.siret.split())
    if not valid_siret(siret):
        raise _invalid_siret()
    return siret


async def _register_establishment(
    details: CompanyDetails, siret: str, registrant: Account
) -> Establishment:
    """A SIRET new to us: create its company and establishment, registered by the account
    signing up (its first registrant, who may book for it: rule 9)."""
    company_name = _clean_name(
        details.company_name,
        "company.companyName",
        required=True,
        max_length=column_length(Company, "name"),
    )
    establishment_name = _clean_name(
        details.establishment_name,
        "company.establishmentName",
        required=False,
        max_length=column_length(Establishment, "name"),
    )
    company = await Company.create(name=company_name)
    return await Establishment.create(
        company=company,
        siret=siret,
        name=establishment_name or company_name,
        city=_clean_name(
            details.city,
            "company.city",
            required=False,
            max_length=column_length(Establishment, "city"),
        ),
        registered_by=registrant,
    )


async def _ask_to_join(
    establishment: Establishment, account: Account, client_address: str
) -> AdminAccessRequest:
    """A company sign-up named a SIRET we know: knowing a SIRET proves nothing, so the
    account is not attached to the company; staff see a request and decide (rule 9)."""
    request = await AdminAccessRequest.create(
        account=account, establishment=establishment, origin=RequestOrigin.SIGN_UP.value
    )
    await audit.record(
        "admin_request.filed",
        actor=account,
        target_type="AdminAccessRequest",
        target_id=request.id,
        establishment_id=establishment.id,
        after={"account": account.email, "origin": RequestOrigin.SIGN_UP.value},
        client_address=client_address,
    )
    return request


# --- sign-up and sign-in (rule 1) -------------------------------------------------------


async def sign_up(
    email: str,
    password: str,
    *,
    full_name: str,
    kind: AccountKind,
    language: Language = Language.FR,
    company: CompanyDetails | None = None,
    client_address: str = "",
) -> SignedIn:
    """Create an individual or company account online and sign it in.

    A company account names its establishment by SIRET. A SIRET new to us creates the
    company and establishment, registered by this account (its first registrant: it may
    book for it, and becomes admin when staff validate the first enrollment, rule 9). A
    SIRET we know gives nothing: a SIRET is public, so the account stays a stranger to that
    company and staff see a request to join it (an admin access request, origin SIGN_UP).
    The answer is the same either way.

    The login e-mail is not verified yet: a link valid 48 hours is mailed to it, and until
    it is followed (`verify_email`) the history placed with that address stays hidden.
    """
    # Every invalid field is answered at once (one BAD_USER_INPUT listing them all).
    checks = FieldChecks()
    with checks.field():
        address = normalize_email(email)
    with checks.field():
        check_password_rules(password)
    with checks.field():
        name = _clean_name(
            full_name, "fullName", required=True, max_length=column_length(Account, "full_name")
        )
    with checks.field():
        _check_company_choice(kind, company)
    checks.done()
    await rate_limits.hit((SIGN_UPS_PER_ADDRESS, client_address), (SIGN_UPS_PER_ACCOUNT, address))
    if await Account.exists(email=address):
        raise _already_taken()
    siret = _clean_siret(company) if company is not None else None
    password_hash = await _hash(password)
    try:
        async with in_transaction():
            account = await Account.create(
                email=address,
                password_hash=password_hash,
                full_name=name,
                kind=kind.value,
                language=language.value,
            )
            establishment = None
            if company is not None and siret is not None:
                establishment = await Establishment.get_or_none(siret=siret)
                if establishment is None:
                    establishment = await _register_establishment(company, siret, account)
                else:
                    await _ask_to_join(establishment, account, client_address)
            await _send_verification(account)
            await audit.record(
                "account.signed_up",
                actor=account,
                target_type="Account",
                target_id=account.id,
                establishment_id=establishment.id if establishment else None,
                after={"email": address, "kind": kind.value},
                client_address=client_address,
            )
    except IntegrityError as error:  # a concurrent sign-up took the address or the SIRET
        if await Account.exists(email=address):
            raise _already_taken() from error
        raise Conflict(
            "This establishment was registered at the same moment. Please try again.",
            field="company.siret",
            reason=Reason.STATE_CONFLICT,
        ) from error
    token = await start_session(account, client_address)
    return SignedIn(account, token)


async def _send_verification(account: Account) -> None:
    """Mail the login e-mail a link that proves it (call inside the transaction)."""
    token = await issue_token(account, TokenPurpose.VERIFY_EMAIL, email=account.email)
    await queue_mail(account.email, "verify_email", account.language, link=verification_link(token))


def _already_taken() -> Conflict:
    return Conflict(
        "An account already uses this e-mail. Sign in, or ask for a password reset link.",
        field="email",
        reason=Reason.EMAIL_TAKEN,
    )


async def log_in(email: str, password: str, *, client_address: str = "") -> SignedIn:
    """Check the e-mail and password and open a session.

    Unknown e-mail, account without a password and wrong password all answer the same
    UNAUTHENTICATED after the same work (one argon2 verification, against a dummy hash when
    there is no real one). The attempt is reserved on the account's allowance before the
    verification, so the 6th attempt within the window answers RATE_LIMITED unverified, even
    when all six arrive at once. Past the per-address allowance, wrong passwords answer
    RATE_LIMITED too, while a right one still signs in (the owner behind a shared address
    is not locked out by someone else's guesses).
    """
    address = normalize_email(email)
    address_blocked = await rate_limits.exhausted(PASSWORD_FAILURES_PER_ADDRESS, client_address)
    await rate_limits.reserve(PASSWORD_FAILURES_PER_ACCOUNT, address)
    account = await Account.get_or_none(email=address)
    password_hash = account.password_hash if account is not None else None
    # Always verify, even without an account: the same work on both paths (no oracle).
    verified = await verify_password_async(password_hash, password)
    if account is None or not verified:
        await rate_limits.record_failure((PASSWORD_FAILURES_PER_ADDRESS, client_address))
        await audit.record(
            "account.login_failed",
            actor_email=address,
            target_type="Account" if account is not None else "",
            target_id=account.id if account is not None else None,
            client_address=client_address,
        )
        if address_blocked:
            raise RateLimited(
                await rate_limits.retry_after(PASSWORD_FAILURES_PER_ADDRESS, client_address),
                limit=PASSWORD_FAILURES_PER_ADDRESS.name,
            )
        raise Unauthenticated(WRONG_CREDENTIALS, reason=Reason.WRONG_CREDENTIALS)
    if password_hash and needs_rehash(password_hash):
        account.password_hash = await _hash(password)
        await account.save(update_fields=["password_hash", "updated_at"])
    await rate_limits.clear(PASSWORD_FAILURES_PER_ACCOUNT, address)  # the owner is back
    token = await start_session(account, client_address)
    return SignedIn(account, token)


async def log_out(token: str | None) -> bool:
    """End the caller's session on the server: its token stops working at once."""
    if not token or not await end_session(token):
        raise Unauthenticated()
    return True


async def _check_current_password(account: Account, password: str, client_address: str) -> None:
    """For changes that need the current password: each check is reserved on the account's
    allowance before verifying, like a log-in; a right password forgives earlier ones."""
    address_blocked = await rate_limits.exhausted(PASSWORD_FAILURES_PER_ADDRESS, client_address)
    await rate_limits.reserve(PASSWORD_FAILURES_PER_ACCOUNT, account.email)
    if await verify_password_async(account.password_hash, password):
        await rate_limits.clear(PASSWORD_FAILURES_PER_ACCOUNT, account.email)
        return
    await rate_limits.record_failure((PASSWORD_FAILURES_PER_ADDRESS, client_address))
    await audit.record(
        "account.password_check_failed",
        actor=account,
        target_type="Account",
        target_id=account.id,
        client_address=client_address,
    )
    if address_blocked:
        raise RateLimited(
            await rate_limits.retry_after(PASSWORD_FAILURES_PER_ADDRESS, client_address),
            limit=PASSWORD_FAILURES_PER_ADDRESS.name,
        )
    raise BadUserInput(
        "The current password is wrong.", field="currentPassword", reason=Reason.WRONG_PASSWORD
    )


# --- passwords (rule 3) -----------------------------------------------------------------


async def change_password(
    account: Account,
    current_password: str,
    new_password: str,
    *,
    keep_token: str | None,
    client_address: str = "",
) -> None:
    """Replace the password; every other session of the account ends, this one stays."""
    await _check_current_password(account, current_password, client_address)
    check_password_rules(new_password)
    account.password_hash = await _hash(new_password)
    async with in_transaction():
        await account.save(update_fields=["password_hash", "updated_at"])
        await end_other_sessions(account.id, keep_token)
        await revoke_tokens(account.id, PASSWORD_TOKENS)
        await audit.record(
            "account.password_changed",
            actor=account,
            target_type="Account",
            target_id=account.id,
            client_address=client_address,
        )
        await queue_mail(account.email, "password_changed", account.language)


async def request_password_reset(email: str, *, client_address: str = "") -> None:
    """E-mail a reset link valid 30 minutes, if the address has an account.

    Answers the same, after the same work, whether or not it does: both paths write one
    audit entry in a transaction, and the mail itself is sent later by the outbox sender.
    """
    address = normalize_email(email)
    await rate_limits.hit(
        (RESET_REQUESTS_PER_ADDRESS, client_address), (RESET_REQUESTS_PER_ACCOUNT, address)
    )
    async with in_transaction():
        account = await Account.get_or_none(email=address)
        if account is None:
            await audit.record(
                "account.password_reset_requested",
                actor_email=address,
                after={"knownAddress": False},
                client_address=client_address,
            )
            return
        token = await issue_token(account, TokenPurpose.RESET_PASSWORD)
        await queue_mail(
            account.email, "reset_password", account.language, link=password_link(token)
        )
        await audit.record(
            "account.password_reset_requested",
            actor_email=address,
            target_type="Account",
            target_id=account.id,
            after={"knownAddress": True},
            client_address=client_address,
        )


async def reset_password(token: str, new_password: str, *, client_address: str = "") -> SignedIn:
    """Use a reset (or first-password) link once: set the password, end every session of
    the account, and open a new one. The link proves the login e-mail (it was mailed
    there), so the account becomes verified."""
    await rate_limits.hit((RESETS_PER_ADDRESS, client_address))
    check_password_rules(new_password)  # before using the token: a weak password keeps it
    if not await token_is_usable(token, PASSWORD_TOKENS):  # a forged link costs no argon2
        raise _invalid_link()
    password_hash = await _hash(new_password)
    async with in_transaction():
        account = await consume_token(token, PASSWORD_TOKENS)
        if account is None:
            raise _invalid_link()
        account.password_hash = password_hash
        await account.save(update_fields=["password_hash", "updated_at"])
        await end_other_sessions(account.id)
        await revoke_tokens(account.id, PASSWORD_TOKENS)
        # The link was mailed to the login e-mail: following it proves the address.
        await _mark_verified(account, "password_link", client_address)
        await audit.record(
            "account.password_reset",
            actor=account,
            target_type="Account",
            target_id=account.id,
            client_address=client_address,
        )
    # Whoever guessed wrong before, the owner of the mailbox has just proven who they are.
    await rate_limits.clear(PASSWORD_FAILURES_PER_ACCOUNT, account.email)
    session_token = await start_session(account, client_address)
    return SignedIn(account, session_token)


# --- e-mail verification (rule 4) -------------------------------------------------------


def _invalid_link() -> BadUserInput:
    return BadUserInput(INVALID_LINK, field="token", reason=Reason.INVALID_TOKEN)


async def verify_email(token: str, *, client_address: str = "") -> Account:
    """Use the link mailed at sign-up: the login e-mail is proven, its history appears
    (rule 4) and a known training manager becomes admin (rule 9). A link mailed to an
    address the account no longer uses is invalid."""
    await rate_limits.hit((ADDRESS_LINK_USES_PER_ADDRESS, client_address))
    async with in_transaction():
        row = await claim_token(token, (TokenPurpose.VERIFY_EMAIL,))
        if row is None or row.email != row.account.email:
            raise _invalid_link()
        account = row.account
        await _mark_verified(account, "verification_link", client_address)
        await revoke_tokens(account.id, (TokenPurpose.VERIFY_EMAIL,))
    return account


async def request_verification_email(email: str, *, client_address: str = "") -> None:
    """Mail a new verification link (valid 48 hours) if the address is the login e-mail of
    an account not verified yet.

    Answers the same, after the same work, whatever the address: unknown, verified or not.
    """
    address = normalize_email(email)
    await rate_limits.hit(
        (VERIFICATION_REQUESTS_PER_ADDRESS, client_address),
        (VERIFICATION_REQUESTS_PER_ACCOUNT, address),
    )
    async with in_transaction():
        account = await Account.get_or_none(email=address)
        waiting = account is not None and account.email_verified_at is None
        if account is not None and waiting:
            await _send_verification(account)
        await audit.record(
            "account.verification_requested",
            actor_email=address,
            target_type="Account" if account is not None else "",
            target_id=account.id if account is not None else None,
            after={"linkSent": waiting},
            client_address=client_address,
        )


# --- e-mail change (rule 5) -------------------------------------------------------------


async def _history_counts(old_address: str, new_address: str) -> tuple[int, int]:
    leaving = await Enrollment.filter(registrant_email=old_address).count()
    joining = await Enrollment.filter(registrant_email=new_address).count()
    return leaving, joining


def _address_taken() -> Conflict:
    return Conflict(
        "Another account already uses this e-mail.", field="newEmail", reason=Reason.EMAIL_TAKEN
    )


async def _counts_before_proof(
    policy: Policy, viewer: Viewer, old_address: str, new_address: str
) -> tuple[int, int]:
    """Rule 5's warning before the new address is proven: the orders of the old address in
    the person's own history, and those of the new address they may already read. Nothing
    about an address they have not proven yet (how many orders were placed with it, whether
    an account uses it) is told before its owner follows the link."""
    leaving = await Enrollment.filter(
        policy.filter(viewer, "in_own_history", Enrollment), registrant_email=old_address
    ).count()
    joining = await Enrollment.filter(
        policy.filter(viewer, "read", Enrollment), registrant_email=new_address
    ).count()
    return leaving, joining


async def change_email(
    policy: Policy,
    viewer: Viewer,
    account: Account,
    password: str,
    new_email: str,
    *,
    acknowledge_history_change: bool,
    client_address: str = "",
) -> EmailChange:
    """Ask to change the login e-mail, which moves the enrollment history (rules 4 and 5).

    Every call counts against the account's and the client address's allowance, then the
    current password is checked. Without `acknowledge_history_change` nothing happens and
    BAD_USER_INPUT says how many enrollments would leave the history and how many of the new
    address's the person may already read (`_counts_before_proof`): the answer is the same
    whether or not an account uses the new address.

    Nothing switches yet: a confirmation link (48 hours, once) is mailed to the new
    address, whose owner must follow it (`confirm_email_change`: there an address taken by
    another account is CONFLICT, and the real counts are told), and the old address is told
    of the request. Asking again replaces the pending request.
    """
    await rate_limits.hit(
        (EMAIL_CHANGE_ATTEMPTS_PER_ACCOUNT, str(account.id)),
        (EMAIL_CHANGE_ATTEMPTS_PER_ADDRESS, client_address),
    )
    await _check_current_password(account, password, client_address)
    new_address = normalize_email(new_email, field="newEmail")
    old_address = account.email
    if new_address == old_address:
        raise BadUserInput(
            "This is already your login e-mail.", field="newEmail", reason=Reason.UNCHANGED
        )
    leaving, joining = await _counts_before_proof(policy, viewer, old_address, new_address)
    if not acknowledge_history_change:
        raise BadUserInput(
            "Changing your login e-mail hides {enrollmentsLeavingHistory} enrollment(s) "
            "placed with {oldEmail} and shows those placed with {newEmail} "
            "({enrollmentsJoiningHistory} that you can already see; the others are counted "
            "once you follow the link we mail there). Confirm with "
            "acknowledgeHistoryChange: true.",
            field="acknowledgeHistoryChange",
            reason=Reason.ACKNOWLEDGEMENT_REQUIRED,
            enrollmentsLeavingHistory=leaving,
            enrollmentsJoiningHistory=joining,
            oldEmail=old_address,
            newEmail=new_address,
        )
    await rate_limits.hit(
        (EMAIL_CHANGE_REQUESTS_PER_ACCOUNT, str(account.id)),
        (EMAIL_CHANGE_LINKS_PER_RECIPIENT, new_address),
    )
    async with in_transaction():
        await revoke_tokens(account.id, (TokenPurpose.CONFIRM_EMAIL_CHANGE,))
        token = await issue_token(account, TokenPurpose.CONFIRM_EMAIL_CHANGE, email=new_address)
        await queue_mail(
            new_address,
            "confirm_email_change",
            account.language,
            link=email_change_link(token),
            new_email=new_address,
        )
        await queue_mail(
            old_address,
            "confirm_email_change_requested",
            account.language,
            old_email=old_address,
            new_email=new_address,
        )
        await _record_email_change(
            "account.email_change_requested",
            account,
            old_address,
            new_address,
            leaving,
            joining,
            client_address,
        )
    return EmailChange(account, old_address, new_address, leaving, joining, confirmed=False)


async def _record_email_change(
    action: str,
    account: Account,
    old_address: str,
    new_address: str,
    leaving: int,
    joining: int,
    client_address: str,
) -> None:
    """The audit entry of a requested or confirmed e-mail change, with the history it moves."""
    await audit.record(
        action,
        actor=account,
        target_type="Account",
        target_id=account.id,
        before={"email": old_address},
        after={
            "email": new_address,
            "enrollmentsLeavingHistory": leaving,
            "enrollmentsJoiningHistory": joining,
        },
        client_address=client_address,
    )


async def confirm_email_change(token: str, *, client_address: str = "") -> EmailChange:
    """Use the link mailed to the new address: the login e-mail switches, the history
    moves (rule 5), the account is verified with its new address, and the old address is
    told. The address is checked again: CONFLICT if another account took it meanwhile.
    Sessions are kept; links mailed to the old address stop working."""
    await rate_limits.hit((ADDRESS_LINK_USES_PER_ADDRESS, client_address))
    try:
        async with in_transaction():
            row = await claim_token(token, (TokenPurpose.CONFIRM_EMAIL_CHANGE,))
            if row is None or not row.email:
                raise _invalid_link()
            account, new_address = row.account, row.email
            old_address = account.email
            if new_address == old_address:
                raise _invalid_link()
            if await Account.filter(email=new_address).exclude(id=account.id).exists():
                raise _address_taken()
            leaving, joining = await _history_counts(old_address, new_address)
            account.email = new_address
            account.email_verified_at = datetime.now(UTC)  # the link proved the new address
            await account.save(update_fields=["email", "email_verified_at", "updated_at"])
            await revoke_tokens(account.id, ADDRESS_TOKENS)
            await grant_known_training_manager_accesses(account)
            await first_registrant_admin_on_verification(account)
            await _record_email_change(
                "account.email_changed",
                account,
                old_address,
                new_address,
                leaving,
                joining,
                client_address,
            )
            await queue_mail(
                old_address,
                "email_changed",
                account.language,
                old_email=old_address,
                new_email=new_address,
            )
    except IntegrityError as error:  # a concurrent sign-up or change took the address
        raise _address_taken() from error
    return EmailChange(account, old_address, new_address, leaving, joining, confirmed=True)
