"""GraphQL types and operations of accounts: who is signed in, sign-up, sign-in, passwords
and the login e-mail (rules 1-5)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from models import enums
from models.accounts import Account
from models.companies import Company
from schema.context import Info
from schema.scalars import AccountKind, Language
from services import access, accounts, own_company

if TYPE_CHECKING:
    from schema.access import AccessType, EstablishmentType


@strawberry.type(name="Account", description="A person who can sign in to the customer space.")
class AccountType:
    id: strawberry.ID = strawberry.field(description="Identifier of the account.")
    email: str = strawberry.field(
        description="Login e-mail. The enrollment history is the enrollments placed with it, "
        "once the address is verified (`emailVerified`)."
    )
    email_verified: bool = strawberry.field(
        description="True once the person followed a link we e-mailed to the login e-mail "
        "(sign-up verification, set-password or reset link, e-mail change confirmation). "
        "Until then the account works but the enrollments placed with that e-mail stay "
        "hidden: offer `resendVerificationEmail`."
    )
    full_name: str = strawberry.field(description="Name of the person.")
    kind: AccountKind = strawberry.field(description="Individual or company account.")
    language: Language = strawberry.field(description="Language of the e-mails we send.")
    is_staff: bool = strawberry.field(description="True for back-office employees.")
    is_training_manager: bool = strawberry.field(
        description="True for a client's training manager known in our records (rule 9)."
    )
    created_at: datetime.datetime = strawberry.field(description="When the account was made.")
    model: strawberry.Private[Account]

    @strawberry.field(
        description="Phone number. Only the person and staff may read it; others get null "
        "with FORBIDDEN."
    )
    def phone(self, info: Info) -> str | None:
        return accounts.visible_phone(info.context.policy, info.context.viewer, self.model)

    @strawberry.field(
        description="The company of a company account, with the establishments this viewer "
        "may see or enrol for; null for an individual."
    )
    async def company(self, info: Info) -> CompanyType | None:
        row = await own_company.company_of(self.model.company_id)
        return CompanyType(id=strawberry.ID(str(row.id)), name=row.name, model=row) if row else None

    @strawberry.field(
        description="The accesses of this person to establishments that this viewer may see "
        "(all of their own), by establishment name."
    )
    async def accesses(
        self, info: Info
    ) -> list[Annotated[AccessType, strawberry.lazy("schema.access")]]:
        from schema.access import AccessType

        rows = await own_company.accesses_of_account(
            info.context.policy, info.context.viewer, self.model.id
        )
        return [AccessType.from_model(row) for row in rows]

    @strawberry.field(
        description="On your own account (`me`): whether you may use the staff back office "
        "(booking requests to validate, admin access requests, documents to attach), as the "
        "policy decides; a front end shows it or not from this. False on anyone else's account."
    )
    def viewer_can_use_back_office(self, info: Info) -> bool:
        viewer = info.context.viewer
        if viewer is None or viewer.id != self.model.id:
            return False
        return access.may_use_back_office(info.context.policy, viewer)

    @classmethod
    def from_model(cls, account: Account) -> AccountType:
        return cls(
            id=strawberry.ID(str(account.id)),
            email=account.email,
            email_verified=account.email_verified_at is not None,
            full_name=account.full_name,
            kind=AccountKind(account.kind),
            language=Language(account.language),
            is_staff=account.is_staff,
            is_training_manager=account.is_training_manager,
            created_at=account.created_at,
            model=account,
        )


@strawberry.type(name="Company", description="A customer company and its sites.")
class CompanyType:
    id: strawberry.ID = strawberry.field(description="Identifier of the company.")
    name: str = strawberry.field(description="Name of the company.")
    model: strawberry.Private[Company]

    @strawberry.field(
        description="Its establishments this viewer may see or enrol for (a new company "
        "account finds here the sites it can order for), by name."
    )
    async def establishments(
        self, info: Info
    ) -> list[Annotated[EstablishmentType, strawberry.lazy("schema.access")]]:
        from schema.access import EstablishmentType

        rows = await own_company.establishments_of_company(
            info.context.policy, info.context.viewer, self.model.id
        )
        return [EstablishmentType.from_model(row) for row in rows]


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in account, or null when anonymous.")
    def me(self, info: Info) -> AccountType | None:
        account = info.context.account
        return AccountType.from_model(account) if account is not None else None


@strawberry.type(description="A signed-in session: the bearer token and its account.")
class AuthPayload:
    token: str = strawberry.field(
        description="Bearer token of the new session: send it as `Authorization: Bearer "
        "<token>`. Shown once; `logOut` ends it."
    )
    account: AccountType = strawberry.field(description="The signed-in account.")

    @classmethod
    def from_service(cls, signed_in: accounts.SignedIn) -> AuthPayload:
        return cls(token=signed_in.token, account=AccountType.from_model(signed_in.account))


@strawberry.type(
    description="A login e-mail change (rule 5): requested by `changeEmail`, done by "
    "`confirmEmailChange`."
)
class EmailChangePayload:
    account: AccountType = strawberry.field(
        description="The account: still with its old e-mail until the change is confirmed."
    )
    new_email: str = strawberry.field(description="The new login e-mail.")
    confirmed: bool = strawberry.field(
        description="False after `changeEmail`: the change waits for the link mailed to the "
        "new address. True after `confirmEmailChange`: the new e-mail is the login e-mail."
    )
    enrollments_leaving_history: int = strawberry.field(
        description="Enrollments placed with the old e-mail, which leave the history when "
        "the change is confirmed."
    )
    enrollments_joining_history: int = strawberry.field(
        description="Enrollments placed with the new e-mail that join the history. Before "
        "confirmation (`confirmed` false): only those you may already see; the full count "
        "is told by `confirmEmailChange`, once the link proved the address is yours."
    )

    @classmethod
    def from_service(cls, change: accounts.EmailChange) -> EmailChangePayload:
        return cls(
            account=AccountType.from_model(change.account),
            new_email=change.new_email,
            confirmed=change.confirmed,
            enrollments_leaving_history=change.enrollments_leaving_history,
            enrollments_joining_history=change.enrollments_joining_history,
        )


@strawberry.input(description="The company of a company sign-up, named by its establishment.")
class CompanySignUpInput:
    siret: str = strawberry.field(
        description="14-digit SIRET number of the establishment. A known establishment is "
        "reused; the names below are only used for a new one."
    )
    company_name: str = strawberry.field(
        default="", description="Name of the company; required when the SIRET is new to us."
    )
    establishment_name: str = strawberry.field(
        default="", description="Name of the site; the company name when left empty."
    )
    city: str = strawberry.field(default="", description="City of the establishment.")


@strawberry.type
class Mutation:
    """Account mutations answer null with a coded error, so that one failing field of a
    request with several (aliases) does not hide the answers of the others."""

    @strawberry.mutation(
        description="Create an individual or company account (rule 1) and sign it in. A link "
        "to verify the e-mail (valid 48 hours) is mailed to it: until it is followed "
        "(`verifyEmail`), the enrollments placed with that e-mail stay hidden. CONFLICT if "
        "the e-mail already has an account; BAD_USER_INPUT for a weak password (8 to 128 "
        "characters, not a common one) or an invalid SIRET; RATE_LIMITED after too many "
        "sign-ups."
    )
    async def sign_up(
        self,
        info: Info,
        email: Annotated[str, strawberry.argument(description="Login e-mail.")],
        password: Annotated[
            str, strawberry.argument(description="8 to 128 characters, not a common password.")
        ],
        full_name: Annotated[str, strawberry.argument(description="Name of the person.")],
        kind: Annotated[
            AccountKind, strawberry.argument(description="Individual or company account.")
        ],
        language: Annotated[
            Language, strawberry.argument(description="Language of the e-mails we send.")
        ] = Language.FR,
        company: Annotated[
            CompanySignUpInput | None,
            strawberry.argument(description="Required for a company account, absent otherwise."),
        ] = None,
    ) -> AuthPayload | None:
        details = (
            accounts.CompanyDetails(
                siret=company.siret,
                company_name=company.company_name,
                establishment_name=company.establishment_name,
                city=company.city,
            )
            if company is not None
            else None
        )
        signed_in = await accounts.sign_up(
            email,
            password,
            full_name=full_name,
            kind=enums.AccountKind(kind),
            language=enums.Language(language),
            company=details,
            client_address=info.context.client_address,
        )
        return AuthPayload.from_service(signed_in)

    @strawberry.mutation(
        description="Sign in. A wrong password and an unknown e-mail both answer "
        "UNAUTHENTICATED; after 5 wrong passwords for an account (or too many from one "
        "address) within 15 minutes, RATE_LIMITED with `retryAfterSeconds`."
    )
    async def log_in(
        self,
        info: Info,
        email: Annotated[str, strawberry.argument(description="Login e-mail.")],
        password: Annotated[str, strawberry.argument(description="Password.")],
    ) -> AuthPayload | None:
        signed_in = await accounts.log_in(
            email, password, client_address=info.context.client_address
        )
        return AuthPayload.from_service(signed_in)

    @strawberry.mutation(
        description="End the current session on the server: its token stops working. "
        "UNAUTHENTICATED when not signed in."
    )
    async def log_out(self, info: Info) -> bool | None:
        info.context.require_account()
        return await accounts.log_out(info.context.token)

    @strawberry.mutation(
        description="Change the password of the signed-in account. Every other session of "
        "the account ends. BAD_USER_INPUT when the current password is wrong or the new one "
        "is weak."
    )
    async def change_password(
        self,
        info: Info,
        current_password: Annotated[str, strawberry.argument(description="Current password.")],
        new_password: Annotated[
            str, strawberry.argument(description="8 to 128 characters, not a common password.")
        ],
    ) -> bool | None:
        await accounts.change_password(
            info.context.require_account(),
            current_password,
            new_password,
            keep_token=info.context.token,
            client_address=info.context.client_address,
        )
        return True

    @strawberry.mutation(
        description="E-mail a password reset link (valid 30 minutes, usable once) to the "
        "address if it has an account (rule 3). Always answers true, known address or not."
    )
    async def request_password_reset(
        self,
        info: Info,
        email: Annotated[str, strawberry.argument(description="Login e-mail of the account.")],
    ) -> bool | None:
        await accounts.request_password_reset(email, client_address=info.context.client_address)
        return True

    @strawberry.mutation(
        description="Choose a new password with the token of a reset or first-password link, "
        "and sign in. Ends every other session. The link was mailed to the login e-mail, so "
        "the e-mail becomes verified. BAD_USER_INPUT when the token is invalid, expired or "
        "already used, or the password is weak."
    )
    async def reset_password(
        self,
        info: Info,
        token: Annotated[str, strawberry.argument(description="The `token` of the e-mailed link.")],
        new_password: Annotated[
            str, strawberry.argument(description="8 to 128 characters, not a common password.")
        ],
    ) -> AuthPayload | None:
        signed_in = await accounts.reset_password(
            token, new_password, client_address=info.context.client_address
        )
        return AuthPayload.from_service(signed_in)

    @strawberry.mutation(
        description="Verify the login e-mail with the token of the link mailed at sign-up: "
        "the enrollments placed with that e-mail join the history (rule 4), and a training "
        "manager known in our records becomes admin (rule 9). No session needed. "
        "BAD_USER_INPUT when the token is invalid, expired or already used."
    )
    async def verify_email(
        self,
        info: Info,
        token: Annotated[str, strawberry.argument(description="The `token` of the e-mailed link.")],
    ) -> AccountType | None:
        account = await accounts.verify_email(token, client_address=info.context.client_address)
        return AccountType.from_model(account)

    @strawberry.mutation(
        description="Mail a new verification link (valid 48 hours) to the address if it is "
        "the login e-mail of an account not verified yet. Always answers true, whatever the "
        "address; RATE_LIMITED after too many requests."
    )
    async def resend_verification_email(
        self,
        info: Info,
        email: Annotated[str, strawberry.argument(description="Login e-mail of the account.")],
    ) -> bool | None:
        await accounts.request_verification_email(email, client_address=info.context.client_address)
        return True

    @strawberry.mutation(
        description="Ask to change the login e-mail (rule 5). The current password is checked "
        "first. Without `acknowledgeHistoryChange: true` nothing happens and BAD_USER_INPUT "
        "carries `enrollmentsLeavingHistory` and `enrollmentsJoiningHistory` in its "
        "extensions (joining: only the orders of the new address you may already see; "
        "nothing about an address is told before its owner follows the link). With it, "
        "nothing switches yet: a confirmation link (valid 48 hours) is mailed to the new "
        "address and the old address is told; `confirmEmailChange` with that link's token "
        "makes the change (CONFLICT there when another account uses the address). The "
        "answer is the same whether or not an account uses the new e-mail. RATE_LIMITED "
        "after too many requests."
    )
    async def change_email(
        self,
        info: Info,
        password: Annotated[str, strawberry.argument(description="Current password.")],
        new_email: Annotated[str, strawberry.argument(description="The new login e-mail.")],
        acknowledge_history_change: Annotated[
            bool,
            strawberry.argument(
                description="True once the person was shown how the history will change."
            ),
        ] = False,
    ) -> EmailChangePayload | None:
        change = await accounts.change_email(
            info.context.policy,
            info.context.require_viewer(),
            info.context.require_account(),
            password,
            new_email,
            acknowledge_history_change=acknowledge_history_change,
            client_address=info.context.client_address,
        )
        return EmailChangePayload.from_service(change)

    @strawberry.mutation(
        description="Confirm a login e-mail change with the token of the link mailed to the "
        "new address: the login e-mail switches, the enrollments placed with the old one "
        "leave the history and those placed with the new one join it (rule 5); the old "
        "address is told. Sessions stay open. No session needed. BAD_USER_INPUT when the "
        "token is invalid, expired or already used; CONFLICT when another account took the "
        "address meanwhile."
    )
    async def confirm_email_change(
        self,
        info: Info,
        token: Annotated[str, strawberry.argument(description="The `token` of the e-mailed link.")],
    ) -> EmailChangePayload | None:
        change = await accounts.confirm_email_change(
            token, client_address=info.context.client_address
        )
        return EmailChangePayload.from_service(change)
