"""Fixtures of the live queue's tests: a centre's municipality with sites, a municipality
it serves, another it does not, and readers of each."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from stadsvakt.centre.models import ServedMunicipality
from stadsvakt.org.models import Municipality, Site
from tests import factories as f


@dataclass
class Centre:
    """A centre's municipality, one it serves, one it does not, and their readers."""

    home: Municipality
    served: Municipality
    stranger: Municipality
    site: Site
    served_site: Site
    stranger_site: Site
    #: A token of the centre's operator (centre.read and centre.operate).
    operator: dict[str, str]
    #: A token of the served municipality's own reader (centre.read only).
    served_reader: dict[str, str]
    #: A token of the other municipality's operator.
    stranger_operator: dict[str, str]


@pytest.fixture
def centre(session: Session) -> Centre:
    """A centre serving one other municipality, beside a third it does not serve."""
    home = f.municipality(session, "Hemby kommun")
    served = f.municipality(session, "Grannby kommun")
    stranger = f.municipality(session, "Fjärranby kommun")
    session.add(ServedMunicipality(centre_tenant_id=home.id, served_tenant_id=served.id))
    site, served_site, stranger_site = (f.site(session, t) for t in (home, served, stranger))
    operator = f.bearer(f.token(session, home, "centre.read", "centre.operate"))
    served_reader = f.bearer(f.token(session, served, "centre.read"))
    stranger_operator = f.bearer(f.token(session, stranger, "centre.read", "centre.operate"))
    session.flush()
    return Centre(
        home,
        served,
        stranger,
        site,
        served_site,
        stranger_site,
        operator,
        served_reader,
        stranger_operator,
    )
