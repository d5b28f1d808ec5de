"""The university's mail domains: which addresses stop working when a student graduates.

The programme office lists them in the issuer profile ("shizuoka.ac.jp"); an address at
one of them or at any subdomain ("s.inf.shizuoka.ac.jp") counts as a university address.
Domains are kept in their IDNA ASCII form, lower case, so ``ＳＨＩＺＵＯＫＡ.ac.jp`` and
``shizuoka.ac.jp`` are one domain and a Japanese domain name matches however it was typed.
Pure functions: text in, text out.
"""

from __future__ import annotations

import re

import idna

from wallet.services.errors import ValidationError

MAX_DOMAINS = 20
MAX_DOMAIN_LENGTH = 253  # RFC 1035, without the final dot
_SEPARATORS = re.compile(r"[\s,;、，；]+")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class MailDomainInvalidError(ValidationError):
    """Not a domain name such as ``shizuoka.ac.jp``; ``domain`` is what was typed."""

    code = "mail_domain_invalid"
    field = "mail_domains"


class TooManyMailDomainsError(ValidationError):
    code = "mail_domains_too_many"
    field = "mail_domains"


def _ascii_domain(text: str) -> str | None:
    """``text`` as an IDNA ASCII domain name (UTS 46 mapping: full-width letters and upper
    case folded), or None if it is not a valid host name."""
    try:
        return idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


def clean_mail_domains(text: str) -> list[str]:
    """The domains in ``text`` (one per line or separated by commas), normalised, without
    repeats, in the order given. A leading ``@`` or ``*.`` and a final dot are dropped, as
    people type them. ``MailDomainInvalidError`` names the first entry that is not a domain
    name with at least two labels (``jp`` alone, an IP address, ``shizuoka_ac.jp``)."""
    domains: list[str] = []
    for entry in _SEPARATORS.split(text):
        if not entry:
            continue
        typed = entry.removeprefix("@").removeprefix("*.").rstrip(".")
        domain = _ascii_domain(typed) if typed else None
        if domain is None or not _is_domain_name(domain):
            raise MailDomainInvalidError(domain=entry)
        if domain not in domains:
            domains.append(domain)
    if len(domains) > MAX_DOMAINS:
        raise TooManyMailDomainsError(max=MAX_DOMAINS)
    return domains


def _is_domain_name(domain: str) -> bool:
    labels = domain.split(".")
    return (
        len(domain) <= MAX_DOMAIN_LENGTH
        and len(labels) >= 2
        and all(_LABEL.match(label) for label in labels)
        and not labels[-1].isdigit()  # 192.168.0.1 is an address, not a domain
    )


def is_at_domains(email: str, domains: list[str]) -> bool:
    """Whether ``email`` is at one of ``domains`` (as ``clean_mail_domains`` keeps them) or
    at a subdomain of one. ``shizuoka.ac.jp`` covers ``s.inf.shizuoka.ac.jp`` but not
    ``notshizuoka.ac.jp``."""
    host = email.rpartition("@")[2].strip().rstrip(".")
    host = _ascii_domain(host) or host.lower()
    return any(host == domain or host.endswith("." + domain) for domain in domains)
