"""The console's navigation: one entry per page, shown to the roles that may open it.

Pages of other console modules register themselves with ``add_navigation`` when imported.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.models import Role

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class NavItem:
    label_key: str  # a key of the translation catalogue
    href: str
    roles: frozenset[Role]
    order: int = 100


_ITEMS: dict[str, NavItem] = {}


def add_navigation(item: NavItem) -> None:
    _ITEMS[item.href] = item


def navigation_for(role: Role | str | None) -> list[NavItem]:
    if role is None:
        return []
    return sorted(
        (item for item in _ITEMS.values() if role in item.roles),
        key=lambda item: (item.order, item.href),
    )


add_navigation(NavItem("console.nav.home", "/console", ALL_ROLES, order=0))
add_navigation(
    NavItem("console.nav.users", "/console/admin/utilisateurs", frozenset({Role.ADMIN}), order=80)
)
add_navigation(
    NavItem(
        "console.nav.antennas",
        "/console/admin/antennes",
        frozenset({Role.ADMIN, Role.SUPERVISOR}),
        order=81,
    )
)
add_navigation(NavItem("console.nav.audit", "/console/audit", frozenset({Role.AUDITOR}), order=90))
add_navigation(NavItem("console.nav.password", "/console/mot-de-passe", ALL_ROLES, order=95))
