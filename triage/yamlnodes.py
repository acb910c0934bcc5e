"""Reading YAML node by node, so that every complaint about a file can name its line."""

from __future__ import annotations

from pathlib import Path

import yaml

from triage.errors import RulesError

_TRUE = {"true", "yes", "on", "oui"}
_FALSE = {"false", "no", "off", "non"}


class NodeReader:
    """Typed access to the nodes of one YAML file; errors say which file, which line, what."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        try:
            root = yaml.compose(data, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line = f"{mark.line + 1}" if mark is not None else "?"
            problem = getattr(exc, "problem", None) or str(exc)
            raise RulesError(f"{path}:{line}: not valid YAML: {problem}") from exc
        if root is None:
            raise RulesError(f"{path}:1: the file is empty")
        self.root: yaml.Node = root

    def error(self, node: yaml.Node, message: str) -> RulesError:
        return RulesError(f"{self.path}:{node.start_mark.line + 1}: {message}")

    def mapping(
        self, node: yaml.Node, *, allowed: set[str], required: frozenset[str] = frozenset()
    ) -> dict[str, yaml.Node]:
        """The entries of a mapping, refusing unknown, repeated or missing keys."""
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, "expected a mapping (key: value)")
        entries: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self.string(key_node)
            if key in entries:
                raise self.error(key_node, f"key '{key}' appears twice")
            if key not in allowed:
                raise self.error(
                    key_node, f"unknown key '{key}' (expected one of {_listed(allowed)})"
                )
            entries[key] = value_node
        missing = sorted(required - entries.keys())
        if missing:
            raise self.error(node, f"missing key '{missing[0]}'")
        return entries

    def keyed(self, node: yaml.Node) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """A mapping whose keys are names chosen by the administrator (regions, banks...)."""
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, "expected a mapping (name: value)")
        seen: set[str] = set()
        entries = []
        for key_node, value_node in node.value:
            key = self.string(key_node)
            if key in seen:
                raise self.error(key_node, f"'{key}' appears twice")
            seen.add(key)
            entries.append((key, key_node, value_node))
        return entries

    def sequence(self, node: yaml.Node, *, non_empty: str = "") -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, "expected a list")
        if non_empty and not node.value:
            raise self.error(node, non_empty)
        return list(node.value)

    def string(self, node: yaml.Node) -> str:
        # Words are taken as written: "no" is a word here, not YAML's false.
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise self.error(node, "expected a non-empty text")
        return str(node.value).strip()

    def strings(self, node: yaml.Node, *, non_empty: str = "") -> list[tuple[str, yaml.Node]]:
        return [(self.string(item), item) for item in self.sequence(node, non_empty=non_empty)]

    def boolean(self, node: yaml.Node) -> bool:
        value = self.string(node).lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise self.error(node, f"expected true or false, found '{value}'")

    def integer(self, node: yaml.Node, *, low: int, high: int) -> int:
        value = self.string(node)
        if not value.isdigit() or not low <= int(value) <= high:
            raise self.error(node, f"expected a whole number from {low} to {high}")
        return int(value)


def _listed(names: set[str]) -> str:
    return ", ".join(sorted(names))
