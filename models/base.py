"""Shared column helpers. Every timestamp is timestamptz and stored in UTC."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def id_field() -> Any:
    return Field(default_factory=new_id, primary_key=True)


def created_at_field() -> Any:
    return Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def updated_at_field() -> Any:
    return Field(
        default_factory=utcnow,
        sa_column=Column(
            DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=utcnow
        ),
    )


def timestamp_field(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index)
    )


def fk_field(target: str, *, nullable: bool = False, ondelete: str = "CASCADE", index: bool = True) -> Any:
    """A uuid foreign key; `ondelete` says what happens to this row when its parent goes."""
    return Field(
        default=None if nullable else ...,
        sa_column=Column(ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )


def json_field() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}"))


def one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)
