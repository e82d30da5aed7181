"""/api/auth/sessions: the caller's live sign-in sessions; end one, or all of them."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel

from app.api.auth_common import CallerDep, Message, client_ip
from app.api.deps import ServiceSessionDep
from app.services.identity import authentication, sessions

router = APIRouter(prefix="/auth", tags=["auth"])


class SessionOut(BaseModel):
    id: str
    device: str
    ip: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


@router.get("/sessions", response_model=list[SessionOut])
def list_sessions(caller: CallerDep) -> list[SessionOut]:
    """The caller's live sessions, most recently used first."""
    def current(s: sessions.SessionInfo) -> bool:
        return s.id == caller.session_id or bool(s.family_id) and s.family_id == caller.family_id

    return [SessionOut(id=s.id, device=s.device, ip=s.ip, created_at=s.created_at,
                       last_seen_at=s.last_seen_at, current=current(s))
            for s in sessions.list_for_user(caller.user_id)]


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_session(session_id: str, caller: CallerDep, session: ServiceSessionDep,
                   request: Request) -> Response:
    """End one session (effective immediately)."""
    authentication.revoke_session(session, caller.user_id, session_id, ip=client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/sessions/revoke-all", response_model=Message)
def revoke_all_sessions(caller: CallerDep, session: ServiceSessionDep, request: Request) -> Message:
    """Sign out everywhere, this session included."""
    ended = authentication.sign_out_everywhere(session, caller.user_id, ip=client_ip(request))
    return Message(message=f"{ended} session(s) ended")
