"""The authorisation rules of the hotline operators' pages, merged into ``ROUTE_RULES``.

Operators take green-number calls live and type the voicemails; supervisors may do the same (as
they do the duty officers' work), to stand in at a busy hour and to check what is typed.
"""

from __future__ import annotations

from service.models import Role

HOTLINE_OPERATORS = frozenset({Role.OPERATOR, Role.SUPERVISOR})

ENTRY_PATH = "/console/standard/saisie"
VOICEMAILS_PATH = "/console/standard/enregistrements"
_VOICEMAIL = VOICEMAILS_PATH + "/{message_id}"

HOTLINE_RULES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", ENTRY_PATH): HOTLINE_OPERATORS,
    ("POST", ENTRY_PATH): HOTLINE_OPERATORS,
    ("GET", VOICEMAILS_PATH): HOTLINE_OPERATORS,
    ("GET", _VOICEMAIL): HOTLINE_OPERATORS,
    ("GET", f"{_VOICEMAIL}/audio"): HOTLINE_OPERATORS,
    ("POST", f"{_VOICEMAIL}/transcription"): HOTLINE_OPERATORS,
}
