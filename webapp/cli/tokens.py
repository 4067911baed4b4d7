"""``enclave token``: create, list and revoke API tokens from the terminal (an admin's tool)."""

from __future__ import annotations

from datetime import timedelta

import click

from webapp.cli.installation import open_installation
from webapp.cli.output import console
from webapp.core.permissions import SYSTEM

__all__ = ["token_command"]


@click.group("token")
def token_command() -> None:
    """Manage API tokens (they act as their user, with that user's groups)."""


@token_command.command("create")
@click.option("--user", "username", required=True, help="The token acts as this user.")
@click.option("--name", required=True, help="What the token is for, e.g. 'crm-sync'.")
@click.option(
    "--scope",
    "scopes",
    default="read,ask",
    show_default=True,
    help="Comma-separated: read, ask, ingest, admin, scim.",
)
@click.option("--expires-days", type=click.IntRange(min=1), default=None, help="Expiry in days.")
@click.option("--rate-limit", type=click.IntRange(min=1), default=None, help="Requests per minute.")
def token_create_command(
    username: str, name: str, scopes: str, expires_days: int | None, rate_limit: int | None
) -> None:
    """Create a token; its secret is printed once and never stored."""
    open_installation()
    from django.utils import timezone

    from webapp.accounts.services import token_create, user_get
    from webapp.core.errors import EnclaveError

    user = user_get(username)
    if user is None:
        raise click.ClickException(f"no such user: {username} (create it with 'enclave user')")
    expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
    try:
        token, secret = token_create(
            user=user,
            name=name,
            scopes=scopes.split(","),
            actor=SYSTEM,
            expires_at=expires_at,
            rate_limit_per_minute=rate_limit,
        )
    except EnclaveError as exc:
        raise click.ClickException(exc.message) from None
    console.print(
        f"Token {token.id} {token.name!r} for {username} (scopes: {', '.join(token.scopes)}). "
        "Copy it now, it is not shown again:"
    )
    click.echo(secret)


@token_command.command("list")
@click.option("--user", "username", default=None, help="Only this user's tokens.")
def token_list_command(username: str | None) -> None:
    """List tokens (never their secrets)."""
    open_installation()
    from webapp.accounts.models import ApiToken

    tokens = ApiToken.objects.select_related("user").order_by("id")
    if username:
        tokens = tokens.filter(user__username=username)
    for token in tokens:
        state = "active" if token.is_active else ("revoked" if token.revoked_at else "expired")
        used = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never"
        console.print(
            f"{token.id:>4}  {token.prefix}…  {token.user.username:<16} {token.name:<20} "
            f"{','.join(token.scopes):<22} {state:<8} last used {used}"
        )


@token_command.command("revoke")
@click.argument("token_id", type=int)
def token_revoke_command(token_id: int) -> None:
    """Revoke a token: its next request fails."""
    open_installation()
    from webapp.accounts.models import ApiToken
    from webapp.accounts.services import token_revoke

    token = ApiToken.objects.filter(id=token_id).first()
    if token is None:
        raise click.ClickException(f"no such token: {token_id}")
    token_revoke(token=token, actor=SYSTEM)
    console.print(f"Token {token_id} revoked.")
