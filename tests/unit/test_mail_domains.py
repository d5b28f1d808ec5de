"""The university's mail domains: how the office types them, which addresses they cover."""

from __future__ import annotations

import pytest

from wallet.services.mail_domains import (
    MAX_DOMAINS,
    MailDomainInvalidError,
    TooManyMailDomainsError,
    clean_mail_domains,
    is_at_domains,
)

SHIZUOKA = ["shizuoka.ac.jp"]


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("shizuoka.ac.jp", ["shizuoka.ac.jp"]),
        ("  Shizuoka.AC.JP.  ", ["shizuoka.ac.jp"]),
        ("@shizuoka.ac.jp", ["shizuoka.ac.jp"]),  # as in "@shizuoka.ac.jp addresses"
        ("*.inf.shizuoka.ac.jp", ["inf.shizuoka.ac.jp"]),
        ("ＳＨＩＺＵＯＫＡ．ａｃ．ｊｐ", ["shizuoka.ac.jp"]),  # typed with a Japanese input method
        ("静岡大学.jp", ["xn--pss25c70a687m.jp"]),  # an internationalised domain name
        ("xn--pss25c70a687m.jp", ["xn--pss25c70a687m.jp"]),
        ("shizuoka.ac.jp\r\nsuac.ac.jp", ["shizuoka.ac.jp", "suac.ac.jp"]),
        (
            "shizuoka.ac.jp, suac.ac.jp、u-shizuoka-ken.ac.jp",
            ["shizuoka.ac.jp", "suac.ac.jp", "u-shizuoka-ken.ac.jp"],
        ),
        ("shizuoka.ac.jp\nSHIZUOKA.ac.jp", ["shizuoka.ac.jp"]),  # repeats once
        ("", []),
        (" \n ", []),
    ],
)
def test_domains_are_kept_in_one_form_however_they_were_typed(typed: str, kept: list[str]) -> None:
    assert clean_mail_domains(typed) == kept


@pytest.mark.parametrize(
    "typed",
    [
        "jp",  # a top-level domain alone would cover a whole country
        "192.168.0.1",
        "shizuoka_ac.jp",
        "shizuoka..ac.jp",
        "-shizuoka.ac.jp",
        "https://www.shizuoka.ac.jp/",
        "student@shizuoka.ac.jp",
        "x" * 64 + ".ac.jp",
        ".",
    ],
)
def test_what_is_not_a_domain_is_refused_naming_the_entry(typed: str) -> None:
    with pytest.raises(MailDomainInvalidError) as refused:
        clean_mail_domains(f"shizuoka.ac.jp\n{typed}")
    assert refused.value.field == "mail_domains"
    assert refused.value.params == {"domain": typed}


def test_a_long_list_is_refused() -> None:
    many = "\n".join(f"d{n}.ac.jp" for n in range(MAX_DOMAINS + 1))
    with pytest.raises(TooManyMailDomainsError):
        clean_mail_domains(many)
    assert len(clean_mail_domains("\n".join(f"d{n}.ac.jp" for n in range(MAX_DOMAINS)))) == 20


@pytest.mark.parametrize(
    ("email", "at_university"),
    [
        ("hanako@shizuoka.ac.jp", True),
        ("hanako@SHIZUOKA.AC.JP", True),
        ("hanako@s.inf.shizuoka.ac.jp", True),  # subdomains are the university's too
        ("hanako@shizuoka.ac.jp.", True),
        ("hanako@notshizuoka.ac.jp", False),  # a suffix of the name is not the domain
        ("hanako@shizuoka.ac.jp.example.com", False),
        ("hanako@ac.jp", False),
        ("hanako@gmail.com", False),
        ("shizuoka.ac.jp@gmail.com", False),  # only the part after the last @ counts
    ],
)
def test_an_address_is_at_a_domain_or_one_of_its_subdomains(
    email: str, at_university: bool
) -> None:
    assert is_at_domains(email, SHIZUOKA) is at_university


def test_internationalised_domains_match_however_the_address_spells_them() -> None:
    domains = clean_mail_domains("静岡大学.jp")
    assert is_at_domains("hanako@静岡大学.jp", domains)
    assert is_at_domains("hanako@xn--pss25c70a687m.jp", domains)
    assert is_at_domains("hanako@mail.静岡大学.jp", domains)
    assert not is_at_domains("hanako@静岡.jp", domains)


def test_no_domains_cover_no_address() -> None:
    assert not is_at_domains("hanako@shizuoka.ac.jp", [])
