"""The production files hold together: compose.yaml, the Dockerfile and the Caddyfile name
commands, settings, secrets, ports and paths that exist.

No Docker engine runs here, so the images are never built or started (README); these checks read
the files as Docker and Caddy would and catch what would only fail on the office's server: a
misspelt setting silently ignored, a secret mounted under a name nobody reads, a command option
that does not exist, an API replica reachable without the proxy."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from service.cli.main import app as cli
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SECRETS_MOUNT = "/run/secrets/"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def _tipline_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if s.get("image") == "tipline:latest"}


def test_the_layout_the_office_runs(services: dict[str, dict[str, Any]]) -> None:
    assert {"postgres", "redis", "migrate", "api", "worker", "proxy"} <= services.keys()
    assert services["api"]["deploy"]["replicas"] >= 2
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["command"] == ["tipline", "migrate"]
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


def test_every_command_is_one_the_cli_accepts(services: dict[str, dict[str, Any]]) -> None:
    commands = [s["command"] for s in _tipline_services(services).values()]
    commands.append(_dockerfile_cmd())
    subcommands = typer.main.get_command(cli).commands  # type: ignore[attr-defined]
    for command in commands:
        assert command[0] == "tipline"
        name, *args = command[1:]
        subcommands[name].make_context(name, list(args))  # raises on an unknown option or value


def test_every_tipline_setting_named_exists(services: dict[str, dict[str, Any]]) -> None:
    fields = set(Settings.model_fields)
    for service in _tipline_services(services).values():
        for variable in service["environment"]:
            if variable.startswith("TIPLINE_") and variable != "TIPLINE_SECRETS_DIR":
                assert variable.removeprefix("TIPLINE_").lower() in fields, variable


def test_secrets_come_from_files_under_names_that_are_read(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    declared = compose["secrets"]
    for secret in declared.values():
        assert secret["file"].startswith("./secrets/")  # never baked into the image
    fields = set(Settings.model_fields)
    for service in services.values():
        environment = service.get("environment", {})
        paths = {value for value in environment.values() if str(value).startswith(SECRETS_MOUNT)}
        for secret in service.get("secrets", []):
            assert secret in declared, secret
            # Read either as a setting of the secrets directory or through a path setting.
            read_as_setting = (
                environment.get("TIPLINE_SECRETS_DIR") == SECRETS_MOUNT.rstrip("/")
                and secret.removeprefix("tipline_") in fields
            )
            read_by_path = SECRETS_MOUNT + secret in paths
            assert read_as_setting or read_by_path, secret


def test_only_the_proxy_is_reachable_from_outside(services: dict[str, dict[str, Any]]) -> None:
    """The API trusts X-Forwarded-For from any peer: only if nothing but the proxy reaches it."""
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert services["api"]["environment"]["FORWARDED_ALLOW_IPS"] == "*"


def test_the_spool_outlives_the_api_containers(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    data_dir = _dockerfile_env()["TIPLINE_DATA_DIR"]
    mounts = dict(volume.split(":", 1) for volume in services["api"]["volumes"])
    assert data_dir in mounts.values()
    assert {name for name, path in mounts.items() if path == data_dir} <= compose["volumes"].keys()


def test_the_proxy_balances_over_every_api_replica(services: dict[str, dict[str, Any]]) -> None:
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    upstream = re.search(r"dynamic a \{\s*name (\S+)\s*port (\d+)", caddyfile)
    assert upstream is not None
    command = services["api"]["command"]
    assert upstream.group(1) == "api"
    assert upstream.group(2) == command[command.index("--port") + 1]
    # An access log would write every citizen's IP address to disk.
    assert not re.search(r"^\s*log\b", caddyfile, re.MULTILINE)


def test_the_proxy_forwards_no_metrics_and_no_api_description() -> None:
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    matcher = re.search(r"@(\w+) path_regexp \w+ (\S+)", caddyfile)
    assert matcher is not None
    name, pattern = matcher.groups()
    assert re.search(rf"^\s*respond @{name} 404$", caddyfile, re.MULTILINE)
    assert caddyfile.index(f"respond @{name}") < caddyfile.index("reverse_proxy")
    hidden = ["/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"]
    hidden += ["/METRICS", "//metrics", "/Docs", "/openapi.JSON", "/metrics/"]
    assert all(re.search(pattern, path) for path in hidden)
    served = ["/", "/suivi", "/healthz", "/api/v1/me", "/console/connexion", "/docsx"]
    assert not any(re.search(pattern, path) for path in served)


def test_the_api_serves_its_metrics_inside_the_network_only(
    services: dict[str, dict[str, Any]],
) -> None:
    assert services["api"]["environment"]["TIPLINE_API_METRICS_HOST"] == "0.0.0.0"
    assert "ports" not in services["api"]


def test_the_worker_health_check_reads_its_metrics_port(
    services: dict[str, dict[str, Any]],
) -> None:
    check = " ".join(services["worker"]["healthcheck"]["test"])
    assert f":{Settings.model_fields['worker_metrics_port'].default}/metrics" in check
    assert services["worker"]["environment"]["TIPLINE_WORKER_METRICS_HOST"] == "0.0.0.0"


def test_the_image_is_slim_non_root_with_a_health_check() -> None:
    final_stage = _dockerfile().split("\nFROM ")[-1]
    assert final_stage.split()[0].endswith("-slim")
    user = re.search(r"^USER (\S+)", final_stage, re.MULTILINE)
    assert user is not None
    assert user.group(1) not in {"root", "0"}
    assert "HEALTHCHECK" in final_stage
    port = _dockerfile_cmd()[_dockerfile_cmd().index("--port") + 1]
    assert f"http://127.0.0.1:{port}/healthz" in final_stage


def test_the_image_copies_what_exists_and_no_secret() -> None:
    for line in _dockerfile().splitlines():
        if line.startswith("COPY") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    instructions = [line for line in _dockerfile().splitlines() if not line.startswith("#")]
    assert not any("secrets" in line or "keyring" in line for line in instructions)
    # Nor does the build context carry them (or a development database) to the builder.
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"secrets", "tipline-data", ".git"} <= set(ignored)


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def _dockerfile_cmd() -> list[str]:
    cmd = re.search(r"^CMD (\[.*\])$", _dockerfile(), re.MULTILINE)
    assert cmd is not None
    parsed: list[str] = yaml.safe_load(cmd.group(1))
    return parsed


def _dockerfile_env() -> dict[str, str]:
    block = re.search(r"^ENV ((?:.*\\\n)*.*)$", _dockerfile(), re.MULTILINE)
    assert block is not None
    words = shlex.split(block.group(1).replace("\\\n", " "))
    return dict(word.split("=", 1) for word in words)
