"""One parser for every e-mail address: one bare address, nothing that could mail someone else."""

from __future__ import annotations

import pytest

from domain.email_address import email_problem, parse_email


class TestParseEmail:
    @pytest.mark.parametrize(
        "value",
        [
            "victim,attacker@x.example",
            "victim@x.example,attacker@y.example",
            "Victim <attacker@x.example>",
            '"victim@x.example"@attacker.example',
            "victim@x.example\r\nBcc: attacker@y.example",
            "victim@x.example (comment)",
            "victim;attacker@x.example",
            "nobody@localhost",
            "no-at-sign.example",
            "a@" + "b" * 250 + ".example",
        ],
    )
    def test_refuses_anything_but_one_bare_address(self, value: str) -> None:
        """Lists, display names, quoting, header injection, comments and special-use domains are refused."""
        assert email_problem(value) is not None
        with pytest.raises(ValueError):
            parse_email(value)

    def test_normalises_the_domain_and_keeps_the_local_part(self) -> None:
        """The domain is lower-cased (it is case-blind); the local part is kept as typed."""
        assert parse_email("Dana.Wu+msa@NorthWind.Example") == "Dana.Wu+msa@northwind.example"
