"""OCS antennas (regional offices), seeded from the routing reference and edited by admins."""

from __future__ import annotations

from sqlalchemy import String
from sqlmodel import Field, SQLModel


class Antenna(SQLModel, table=True):
    __tablename__ = "antennas"

    code: str = Field(primary_key=True, sa_type=String(16))
    name: str = Field(sa_type=String(200))
    seat: str = Field(sa_type=String(200))
    operational: bool = True
    fallback: str | None = Field(default=None, sa_type=String(16))
