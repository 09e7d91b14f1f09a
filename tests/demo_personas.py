"""The demo data and a bearer token for each of its personas, for tests that check an answer
against another for every persona (see commands/demo_data.py)."""

from __future__ import annotations

from commands.demo_data import seed_demo
from models.accounts import Account
from tests import factories

PERSONAS = {
    "claire": "claire.admin@acme.example",
    "samuel": "samuel.standard@acme.example",
    "remi": "remi.registrant@acme.example",
    "bruno": "bruno.admin@boreal.example",
    "ines": "ines.martin@example.com",
    "sophie": "sophie.staff@espace.example",
}


async def demo_tokens() -> dict[str, str]:
    """Seed the demo and sign every persona in."""
    await seed_demo()
    tokens = {}
    for name, email in PERSONAS.items():
        tokens[name] = await factories.token_for(await Account.get(email=email))
    return tokens
