"""``flask`` commands: demo data, staff accounts, maintenance."""

from __future__ import annotations

import secrets
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from wallet import urls
from wallet.config import Settings
from wallet.db import utcnow
from wallet.extensions import db
from wallet.openbadges.signednote import Signer
from wallet.services import outbox, reminders
from wallet.services.anchoring import chains
from wallet.services.anchoring import run as anchoring_run
from wallet.services.anchoring.check import check_log
from wallet.services.demo import load_demo_data
from wallet.services.errors import ServiceError
from wallet.services.ob3 import keys as ob3_keys
from wallet.services.staff import create_staff_user

# development only: `demo-data` refuses to run in production
DEMO_STAFF_PASSWORD = "shizuoka-demo-2026"  # noqa: S105 (fixed on purpose, dev only)
DEMO_STUDENT_PASSWORD = "hanako-demo-2026"  # noqa: S105 (fixed on purpose, dev only)


def _settings() -> Settings:
    settings: Settings = current_app.config["WALLET_SETTINGS"]
    return settings


@click.command("create-staff")
@click.argument("email")
@click.option("--name", required=True, help="The name shown in the programme office.")
@click.option(
    "--generate-password",
    is_flag=True,
    help="Generate a password and print it instead of asking for one.",
)
@with_appcontext
def create_staff(email: str, name: str, generate_password: bool) -> None:
    """Create an activated programme office (staff) account."""
    if generate_password:
        password = secrets.token_urlsafe(12)
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    session = db.session()
    try:
        user = create_staff_user(session, email, name, password, is_audited=True)
    except ServiceError as error:
        raise click.ClickException(f"cannot create the account: {error.code}") from error
    session.commit()
    click.echo(f"Staff account created: {user.email}")
    if generate_password:
        click.echo(f"Password: {password}")


@click.command("demo-data")
@with_appcontext
def demo_data() -> None:
    """Load the demo issuer, badges, staff login and awards (development only)."""
    settings = _settings()
    if settings.is_production:
        raise click.ClickException("demo-data is for development only, not production")
    result = load_demo_data(
        db.session(),
        base_url=settings.base_url,
        claim_lifetime=timedelta(days=settings.claim_token_days),
        staff_password=DEMO_STAFF_PASSWORD,
        student_password=DEMO_STUDENT_PASSWORD,
        timezone=settings.timezone,
    )
    db.session.commit()
    click.echo(f"Demo data ready: {result.awards_created} new awards (mail 1 queued).")
    click.echo(f"  Programme office login: {result.staff_email}")
    click.echo(f"  Password:               {DEMO_STAFF_PASSWORD}")
    click.echo(f"  Student login:          {result.student_email}")
    click.echo(f"  Password:               {DEMO_STUDENT_PASSWORD}")
    click.echo(f"  Her public badge:       {result.share_url}")
    if result.profile_url:
        click.echo(f"  Her public profile:     {result.profile_url}")


@click.group("reminders")
def reminders_group() -> None:
    """Claim reminders for awards not yet accepted (docs/operations.md)."""


@reminders_group.command("send")
@with_appcontext
def send_reminders() -> None:
    """Queue every reminder due now (what the hourly job does)."""
    count = reminders.send_reminders_now(db.session(), _settings(), utcnow())
    click.echo(f"{count} reminders queued.")


@click.group("outbox")
def outbox_group() -> None:
    """The mail outbox (docs/mail.md)."""


@outbox_group.command("retry")
@click.option("--id", "mail_ids", type=int, multiple=True, help="Only this mail (repeatable).")
@with_appcontext
def retry_failed_mail(mail_ids: tuple[int, ...]) -> None:
    """Put failed mails back in the queue: all of them, or those named with --id."""
    session = db.session()
    count = outbox.requeue_failed_mail(session, utcnow(), mail_ids or None)
    session.commit()
    click.echo(f"{count} failed mails queued again; the worker sends them within a minute.")


@click.group("anchoring")
def anchoring_group() -> None:
    """Anchored (blockchain-type) badges: the daily run (docs/anchoring.md)."""


@anchoring_group.command("run")
@with_appcontext
def run_anchoring() -> None:
    """Run the daily anchoring now: every pending award is anchored and issued."""
    settings = _settings()
    report = anchoring_run.run_anchoring(
        db.session(), settings, utcnow(), chains.chain_for(settings)
    )
    click.echo(anchoring_run.describe(report))


@click.group("ledger")
def ledger_group() -> None:
    """Our public transparency log (docs/anchoring.md)."""


@ledger_group.command("check")
@click.option("--skip-credentials", is_flag=True, help="Only the log, not every credential.")
@with_appcontext
def check_ledger(skip_credentials: bool) -> None:
    """Check every entry, checkpoint, signature and consistency proof (and credential)."""
    result = check_log(db.session(), _settings(), utcnow(), credentials=not skip_credentials)
    click.echo(
        f"{result.entries} entries, {result.checkpoints} checkpoints, {result.batches} batches, "
        f"{result.credentials} credentials checked."
    )
    for problem in result.problems:
        click.echo(f"PROBLEM: {problem}", err=True)
    if not result.ok:
        raise click.ClickException(f"{len(result.problems)} problems found")
    click.echo("The log is consistent and every signature verifies.")


@ledger_group.command("new-key")
@with_appcontext
def new_ledger_key() -> None:
    """Print a new signing key for WALLET_LEDGER_KEY (named after this site's log)."""
    signer = Signer.generate(urls.ledger_origin(_settings().base_url))
    click.echo(signer.skey())


@click.group("credentials")
def credentials_group() -> None:
    """Open Badges 3.0 credentials (docs/openbadges3.md)."""


@credentials_group.command("new-key")
def new_credential_key() -> None:
    """Print a new secret for WALLET_CREDENTIAL_KEY (each issuer's key is derived from it;
    configuring a new one rotates every issuer's key, old keys stay listed)."""
    click.echo(ob3_keys.new_secret())


def init_app(app: Flask) -> None:
    """Register the wallet's commands on ``app.cli``."""
    app.cli.add_command(create_staff)
    app.cli.add_command(demo_data)
    app.cli.add_command(reminders_group)
    app.cli.add_command(outbox_group)
    app.cli.add_command(anchoring_group)
    app.cli.add_command(ledger_group)
    app.cli.add_command(credentials_group)
