from django.http import HttpRequest
from ninja import Router, Schema

from platform_core.errors import Conflict

router = Router()
FAIL_HEALTH = {"on": False}


class EchoIn(Schema):
    name: str
    count: int


class EchoOut(Schema):
    name: str
    count: int


@router.get("/ping", auth=None)
def ping(request: HttpRequest) -> dict:
    return {"pong": True}


@router.get("/private")
def private(request: HttpRequest) -> dict:
    return {"user": str(request.auth.public_id)}


@router.post("/echo", auth=None, response=EchoOut)
def echo(request: HttpRequest, payload: EchoIn) -> EchoIn:
    return payload


@router.get("/conflict", auth=None)
def conflict(request: HttpRequest) -> dict:
    raise Conflict("Ese horario ya está ocupado.", code="slot_taken")


@router.get("/boom", auth=None)
def boom(request: HttpRequest) -> dict:
    raise RuntimeError("secret internal detail")


def health_check() -> str:
    if FAIL_HEALTH["on"]:
        raise ConnectionError("sample dependency down")
    return "ok"
