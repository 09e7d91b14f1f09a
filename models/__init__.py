"""Tortoise models, one module per aggregate. `MODEL_MODULES` is what Tortoise loads."""

MODEL_MODULES = [
    "models.accounts",
    "models.companies",
    "models.access",
    "models.catalog",
    "models.enrollments",
    "models.documents",
    "models.audit",
    "models.mail",
]
