"""The e-mail outbox: written in the transaction of the change that causes the mail."""

from tortoise import fields
from tortoise.models import Model


class OutboxMail(Model):
    """A mail waiting to be sent, or already sent (`sent_at`)."""

    id = fields.IntField(primary_key=True)
    to = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=300)
    text_body = fields.TextField()
    html_body = fields.TextField(default="")
    template = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")

    class Meta:
        table = "outbox_mail"
        indexes = (("sent_at", "next_attempt_at"),)
