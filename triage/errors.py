"""The one error the triage package raises for a bad rules or gazetteer file."""


class RulesError(Exception):
    """A rules or gazetteer file cannot be used; the message names the file and the line."""
