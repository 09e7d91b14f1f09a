"""GraphQL types and operations of accounts: who is signed in."""

from __future__ import annotations

import datetime

import strawberry

from models.accounts import Account
from schema.context import Info
from schema.scalars import AccountKind, Language
from services.errors import Forbidden


@strawberry.type(name="Account", description="A person who can sign in to the customer space.")
class AccountType:
    id: strawberry.ID = strawberry.field(description="Identifier of the account.")
    email: str = strawberry.field(
        description="Login e-mail. The enrollment history is the enrollments placed with it."
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
        if not info.context.policy.field_allowed(info.context.viewer, "read", self.model, "phone"):
            raise Forbidden("You may not read this phone number.")
        return self.model.phone

    @classmethod
    def from_model(cls, account: Account) -> AccountType:
        return cls(
            id=strawberry.ID(str(account.id)),
            email=account.email,
            full_name=account.full_name,
            kind=AccountKind(account.kind),
            language=Language(account.language),
            is_staff=account.is_staff,
            is_training_manager=account.is_training_manager,
            created_at=account.created_at,
            model=account,
        )


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in account, or null when anonymous.")
    def me(self, info: Info) -> AccountType | None:
        account = info.context.account
        return AccountType.from_model(account) if account is not None else None
