"""The console's start page: who you are, and what your role may do here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from alianza.web.console.render import page
from alianza.web.console.session import PREFIX, ConsoleUser

router = APIRouter(include_in_schema=False)


@router.get(PREFIX)
def home(request: Request, principal: ConsoleUser) -> Response:
    return page(request, "home.html")
