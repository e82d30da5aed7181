"""Workspaces, members and invitations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from app.api.deps import CurrentUser, SessionDep, SignedInUser, WorkspaceContext, require
from app.services import zones
from app.services.tenancy import audit_log, invitations, workspaces
from models import Invitation, Membership, Workspace

router = APIRouter(tags=["workspaces"])


class WorkspaceIn(BaseModel):
    name: str = Field(max_length=workspaces.NAME_MAX)
    timezone: str = Field(default="UTC", max_length=zones.ZONE_MAX)


class WorkspaceUpdate(BaseModel):
    name: str | None = Field(default=None, max_length=workspaces.NAME_MAX)
    timezone: str | None = Field(default=None, max_length=zones.ZONE_MAX)
    require_2fa: bool | None = None


class WorkspaceOut(BaseModel):
    id: uuid.UUID
    name: str
    slug: str
    timezone: str
    require_2fa: bool
    role: str
    created_at: datetime


class MemberOut(BaseModel):
    user_id: uuid.UUID
    email: str
    display_name: str
    role: str
    has_2fa: bool
    joined_at: datetime


class RoleIn(BaseModel):
    role: str = Field(max_length=40)


class InvitationIn(BaseModel):
    email: str = Field(max_length=invitations.EMAIL_MAX)
    role: str = Field(max_length=40)


class InvitationOut(BaseModel):
    id: uuid.UUID
    email: str
    role: str
    expires_at: datetime
    created_at: datetime


class AcceptIn(BaseModel):
    token: str = Field(max_length=invitations.TOKEN_MAX)


class MembershipOut(BaseModel):
    workspace_id: uuid.UUID
    role: str


def ws_out(ws: Workspace, role: str) -> WorkspaceOut:
    return WorkspaceOut(id=ws.id, name=ws.name, slug=ws.slug, timezone=ws.timezone,
                        require_2fa=ws.require_2fa, role=role, created_at=ws.created_at)


def inv_out(inv: Invitation) -> InvitationOut:
    return InvitationOut(id=inv.id, email=inv.email, role=inv.role, expires_at=inv.expires_at,
                         created_at=inv.created_at)


WorkspaceManager = Annotated[WorkspaceContext, Depends(require("workspace:manage"))]
WorkspaceReader = Annotated[WorkspaceContext, Depends(require("workspace:read"))]
MemberInviter = Annotated[WorkspaceContext, Depends(require("member:invite"))]
MemberManager = Annotated[WorkspaceContext, Depends(require("member:manage"))]


@router.get("/workspaces", response_model=list[WorkspaceOut])
def list_workspaces(session: SessionDep, user: CurrentUser) -> list[WorkspaceOut]:
    """The workspaces you belong to, with your role in each."""
    return [ws_out(m.workspace, m.role) for m in workspaces.my_workspaces(session, user.id)]


@router.post("/workspaces", response_model=WorkspaceOut, status_code=201)
def create_workspace(body: WorkspaceIn, session: SessionDep, user: SignedInUser) -> WorkspaceOut:
    """Create a workspace; you become its owner."""
    return ws_out(workspaces.create_workspace(session, user.id, body.name, body.timezone), "owner")


@router.get("/workspaces/{workspace_id}", response_model=WorkspaceOut)
def get_workspace(ctx: WorkspaceReader) -> WorkspaceOut:
    """One workspace."""
    return ws_out(ctx.workspace, ctx.role)


@router.patch("/workspaces/{workspace_id}", response_model=WorkspaceOut)
def update_workspace(body: WorkspaceUpdate, ctx: WorkspaceManager, session: SessionDep) -> WorkspaceOut:
    """Rename, change the time zone or the two-factor policy (owners and admins)."""
    ws = ctx.workspace
    if body.name is not None:
        ws = workspaces.rename(session, ctx.user.id, ws.id, body.name)
    if body.timezone is not None:
        ws = workspaces.set_timezone(session, ctx.user.id, ws.id, body.timezone)
    if body.require_2fa is not None:
        ws = workspaces.set_require_2fa(session, ctx.user.id, ws.id, body.require_2fa)
    return ws_out(ws, ctx.role)


@router.delete("/workspaces/{workspace_id}", status_code=204)
def delete_workspace(
    ctx: Annotated[WorkspaceContext, Depends(require("workspace:delete"))], session: SessionDep,
    _user: SignedInUser,
) -> Response:
    """Delete a workspace with everything in it (owners)."""
    workspaces.delete_workspace(session, ctx.user.id, ctx.workspace.id)
    return Response(status_code=204)


@router.get("/workspaces/{workspace_id}/members", response_model=list[MemberOut])
def list_members(ctx: WorkspaceReader, session: SessionDep) -> list[MemberOut]:
    """Members and their roles."""
    return [MemberOut(**m.__dict__) for m in workspaces.members(session, ctx.user.id, ctx.workspace.id)]


@router.patch("/workspaces/{workspace_id}/members/{user_id}", response_model=MembershipOut)
def change_role(user_id: uuid.UUID, body: RoleIn, ctx: MemberManager, session: SessionDep) -> MembershipOut:
    """Change a member's role (owners and admins; owners only by an owner)."""
    m: Membership = workspaces.change_role(session, ctx.user.id, ctx.workspace.id, user_id, body.role)
    return MembershipOut(workspace_id=m.workspace_id, role=m.role)


@router.delete("/workspaces/{workspace_id}/members/{user_id}", status_code=204)
def remove_member(user_id: uuid.UUID, ctx: WorkspaceReader, session: SessionDep,
                  _user: SignedInUser) -> Response:
    """Remove a member, or leave (your own id)."""
    # Any member may leave, so the route asks only for membership; removing someone else needs
    # member:manage, which the service checks.
    workspaces.remove_member(session, ctx.user.id, ctx.workspace.id, user_id)
    return Response(status_code=204)


@router.get("/workspaces/{workspace_id}/invitations", response_model=list[InvitationOut])
def list_invitations(ctx: MemberInviter, session: SessionDep) -> list[InvitationOut]:
    """Pending invitations."""
    return [inv_out(i) for i in invitations.pending(session, ctx.user.id, ctx.workspace.id)]


@router.post("/workspaces/{workspace_id}/invitations", response_model=InvitationOut, status_code=201)
def invite(body: InvitationIn, ctx: MemberInviter, session: SessionDep) -> InvitationOut:
    """Invite someone by e-mail; the link in the mail is valid for 7 days, once."""
    sent = invitations.invite(session, ctx.user.id, ctx.workspace.id, body.email, body.role)
    return inv_out(sent.invitation)


@router.delete("/workspaces/{workspace_id}/invitations/{invitation_id}", status_code=204)
def revoke_invitation(invitation_id: uuid.UUID, ctx: MemberInviter, session: SessionDep) -> Response:
    """Withdraw an invitation."""
    invitations.revoke(session, ctx.user.id, ctx.workspace.id, invitation_id)
    return Response(status_code=204)


@router.post("/invitations/accept", response_model=MembershipOut)
def accept_invitation(body: AcceptIn, session: SessionDep, user: SignedInUser) -> MembershipOut:
    """Join the workspace of an invitation sent to your e-mail address."""
    m = invitations.accept(session, user.id, body.token)
    return MembershipOut(workspace_id=m.workspace_id, role=m.role)


class AuditEntryOut(BaseModel):
    id: uuid.UUID
    action: str
    actor_id: uuid.UUID | None
    actor_email: str | None
    subject_type: str | None
    subject_id: str | None
    ip: str | None
    details: dict[str, Any]
    created_at: datetime


@router.get("/workspaces/{workspace_id}/audit", response_model=list[AuditEntryOut])
def read_audit_log(
    ctx: Annotated[WorkspaceContext, Depends(require("audit:read"))], session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=audit_log.PAGE_MAX)] = 50,
    before: datetime | None = None, action: Annotated[str | None, Query(max_length=64)] = None,
) -> list[AuditEntryOut]:
    """The workspace's audit log, newest first (owners and admins)."""
    rows = audit_log.entries(session, ctx.user.id, ctx.workspace.id, limit=limit, before=before,
                             action=action)
    return [AuditEntryOut(id=e.id, action=e.action, actor_id=e.actor_id, actor_email=email,
                          subject_type=e.subject_type, subject_id=e.subject_id, ip=e.ip, details=e.details,
                          created_at=e.created_at) for e, email in rows]
