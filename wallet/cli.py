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
from wallet.models import StaffRole
from wallet.openbadges.signednote import Signer
from wallet.services import audit, issuing, outbox, reminders
from wallet.services.anchoring import chains
from wallet.services.anchoring import run as anchoring_run
from wallet.services.anchoring.check import check_log
from wallet.services.demo import load_demo_data
from wallet.services.errors import ServiceError
from wallet.services.ob3 import keys as ob3_keys
from wallet.services.staff import ROLES, StaffAccess, create_staff_user

# development only: `demo-data` refuses to run in production
DEMO_STAFF_PASSWORD = "shizuoka-demo-2026"  # noqa: S105 (fixed on purpose, dev only)
DEMO_DEPARTMENT_PASSWORD = "department-demo-2026"  # noqa: S105 (fixed on purpose, dev only)
DEMO_STUDENT_PASSWORD = "hanako-demo-2026"  # noqa: S105 (fixed on purpose, dev only)


def _settings() -> Settings:
    settings: Settings = current_app.config["WALLET_SETTINGS"]
    return settings


# What the command says when the service refuses (the web forms have their own words).
STAFF_ERRORS = {
    "invalid": "{email!r} is not an email address",
    "account_exists": "an account with the address {email!r} already exists",
    "name_invalid": "--name needs visible characters",
    "text_control": "--name contains a hidden control character ({char})",
    "text_invisible": "--name needs visible characters",
    "text_too_long": "--name is too long (at most {max_len} characters)",
    "password_short": "the password is too short",
    "password_long": "the password is too long",
    "password_email": "the password must not contain the email address",
    "password_common": "the password is too common; choose another",
    "department_unknown": "no department {reference!r}; see `flask departments`",
    "department_ambiguous": "{reference!r} names more than one department; give its id",
    "admin_departments": "an administrator sees every department: leave out --department",
    "departments_missing": "department staff need at least one --department (id or name)",
}


def _staff_error(error: ServiceError, email: str) -> click.ClickException:
    template = STAFF_ERRORS.get(error.code, "cannot create the account ({code})")
    return click.ClickException(template.format(email=email, code=error.code, **error.params))


@click.command("create-staff")
@click.argument("email")
@click.option("--name", required=True, help="The name shown in the programme office.")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="admin: the university's administrator, sees everything. "
    "department: department staff, see their departments' badges and awards only.",
)
@click.option(
    "--department",
    "departments",
    multiple=True,
    help="A department of department staff, by id or Japanese or English name (repeatable).",
)
@click.option(
    "--generate-password",
    is_flag=True,
    help="Generate a password and print it instead of asking for one.",
)
@with_appcontext
def create_staff(
    email: str, name: str, role: str, departments: tuple[str, ...], generate_password: bool
) -> None:
    """Create an activated programme office (staff) account; it goes in the audit log."""
    session = db.session()
    try:  # before the password prompt: a mistyped department should not cost a password
        found = issuing.find_departments(session, departments)
        access = StaffAccess(role=role, department_ids=tuple(d.id for d in found))
        if generate_password:
            password = secrets.token_urlsafe(12)
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        user = create_staff_user(
            session, email, name, password, access=access, actor=audit.COMMAND_LINE
        )
    except ServiceError as error:
        raise _staff_error(error, email) from error
    session.commit()
    where = ", ".join(d.name for d in user.departments)
    role_text = "administrator" if role == StaffRole.ADMIN else f"department staff ({where})"
    click.echo(f"Staff account created: {user.email}, {role_text}")
    if generate_password:
        click.echo(f"Password: {password}")


@click.command("departments")
@with_appcontext
def list_departments() -> None:
    """List the departments with their ids (for create-staff --department)."""
    summaries = issuing.list_departments(db.session())
    if not summaries:
        click.echo("No departments yet: an administrator adds them at /admin/departments.")
    for summary in summaries:
        department = summary.department
        english = f" / {department.name_en}" if department.name_en else ""
        click.echo(f"{department.id}\t{department.name}{english}")


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
        department_staff_password=DEMO_DEPARTMENT_PASSWORD,
        student_password=DEMO_STUDENT_PASSWORD,
        timezone=settings.timezone,
    )
    db.session.commit()
    click.echo(f"Demo data ready: {result.awards_created} new awards (mail 1 queued).")
    click.echo(f"  Programme office login: {result.staff_email} (administrator: everything)")
    click.echo(f"  Password:               {DEMO_STAFF_PASSWORD}")
    for department in result.departments:
        click.echo(f"  Department staff login: {department.staff_email} ({department.name} only)")
        click.echo(f"  Password:               {DEMO_DEPARTMENT_PASSWORD}")
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
    count = outbox.requeue_failed_mail(
        session, utcnow(), mail_ids or None, actor=audit.COMMAND_LINE
    )
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
    app.cli.add_command(list_departments)
    app.cli.add_command(demo_data)
    app.cli.add_command(reminders_group)
    app.cli.add_command(outbox_group)
    app.cli.add_command(anchoring_group)
    app.cli.add_command(ledger_group)
    app.cli.add_command(credentials_group)
