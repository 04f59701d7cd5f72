"""Fixtures of the auth tests.

- ``staff``  makes users through the service, as the node acting for each user's own
             agency (the way ``alianza users add`` does), and hands back a token for each.
"""

from __future__ import annotations

import dataclasses

import pytest

from alianza.auth import service as auth
from alianza.auth.permissions import Principal
from alianza.node.context import Node

PASSWORD = "clave-de-prueba-2024"


@dataclasses.dataclass
class Staff:
    node: Node

    def add(
        self,
        username: str,
        role: str = "analyst",
        *,
        country: str = "CL",
        agency: str = "PDI",
        password: str | None = PASSWORD,
    ) -> tuple[Principal, str]:
        """A user of (country, agency) and a one-day token of theirs."""
        operator = Principal.system(country=country, agency=agency)
        with self.node.sessions() as session:
            user = auth.add_user(
                session,
                node=self.node,
                principal=operator,
                username=username,
                full_name=username,
                country=country,
                agency=agency,
                role=role,
                password=password,
            )
            token, _ = auth.issue_token(
                session, node=self.node, principal=operator, username=username, ttl_days=1
            )
            session.commit()
            return auth.principal_of(user), token

    def headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def staff(node: Node) -> Staff:
    return Staff(node)
