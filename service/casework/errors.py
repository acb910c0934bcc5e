"""Expected casework errors: clear 4xx messages that change nothing and echo no input."""

from __future__ import annotations

from channels.errors import NotFound, TiplineError
from channels.i18n import translate


class TipNotFound(NotFound):
    code = "tip_not_found"
    message = translate("console.error.tip_not_found")


class CaseNotFound(NotFound):
    """Also what a chief gets for another antenna's case: its existence is not confirmed."""

    code = "case_not_found"
    message = translate("console.error.case_not_found")


class FileNotFound(NotFound):
    """Also what a file of another tip answers: which files exist is not confirmed."""

    code = "file_not_found"
    message = translate("console.error.file_not_found")


class Conflict(TiplineError):
    status_code = 409
    code = "conflict"


class TipClaimedByAnother(Conflict):
    code = "tip_claimed"
    message = translate("console.error.tip_claimed")


class TipNotClaimedByYou(Conflict):
    code = "tip_not_claimed"
    message = translate("console.error.tip_not_claimed")


class TipClosed(Conflict):
    code = "tip_closed"
    message = translate("console.error.tip_closed")


class TipAlreadyRouted(Conflict):
    code = "tip_routed"
    message = translate("console.error.tip_routed")


class CannotMerge(Conflict):
    code = "cannot_merge"
    message = translate("console.error.cannot_merge")


class UnheardVoicemail(Conflict):
    code = "unheard_voicemail"
    message = translate("console.error.unheard_voicemail")


class TipNotClosed(Conflict):
    code = "tip_not_closed"
    message = translate("console.error.tip_not_closed")


class UndoExpired(Conflict):
    code = "undo_expired"
    message = translate("console.error.undo_expired")


class ReporterUnreachable(Conflict):
    code = "reporter_unreachable"
    message = translate("console.error.reporter_unreachable")


class CallerNotToldOfTexts(Conflict):
    code = "caller_not_told_of_texts"
    message = translate("console.error.caller_not_told_of_texts")


class InvalidChoice(TiplineError):
    status_code = 422
    code = "invalid_choice"
    message = translate("console.error.invalid_choice")


class AntennaNotOperational(TiplineError):
    status_code = 422
    code = "antenna_not_operational"
    message = translate("console.error.antenna_not_operational")


class NothingToChange(TiplineError):
    status_code = 422
    code = "nothing_to_change"
    message = translate("console.error.nothing_to_change")


class InvalidText(TiplineError):
    status_code = 422
    code = "invalid_text"
    message = translate("console.error.invalid_text")


class InvalidPhone(TiplineError):
    status_code = 422
    code = "invalid_phone"
    message = translate("console.error.invalid_phone")
