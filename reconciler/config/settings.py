"""The providers block: each provider's settings, `${NAME}` references, and which are secret.

A secret setting (`SECRET_SETTINGS`) must be written as a `${NAME}` reference, never a literal;
`${NAME}` reads the environment when the configuration is loaded, and the resolved secret values
ride in `ProviderSettings.secrets` so that every output can redact them (with the token-length
parts of a secret-bearing URL setting, `SECRET_URL_SETTINGS`). The Action's masking
reads the same references through `secret_variables`, with the same reader as `load`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.config.discovery import ReadLimits, discover, read_all
from reconciler.config.document import ConfigFile
from reconciler.config.notifications import url_secrets
from reconciler.config.schema import LITERAL_SECRET
from reconciler.config.yaml import JsonPath, SourceMap, parse_yaml
from reconciler.errors import ReconcilerError
from reconciler.http import base_url_problem
from reconciler.model import KINDS, PROVIDER_OF, ConfigIssue, Location, ProviderSettings
from reconciler.redaction import USERINFO_REFUSED, has_userinfo

SECRET_SETTINGS = frozenset({"api_key", "password", "refresh_token"})
# URL settings whose path may carry a secret (Prevail's `postback_url` holds the watch's hook
# token): `${NAME}` is allowed but not required, and the resolved URL and its token-length
# parts are redacted as a secret's are. Checked as a base URL is (https, or http to loopback).
SECRET_URL_SETTINGS = frozenset({"postback_url"})
# The settings that say which account is used: `--sandbox` replaces all of them with its own.
ACCOUNT_SETTINGS = SECRET_SETTINGS | {"base_url", "company_id", "email"}
# The scope's name in the providers block (`config.scope` reads it); not a provider.
STACK = "stack"
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
DEFAULT_BASE_URLS = {
    "prevail": "https://prevail.ai/api/v1",
    "prospero": "https://api.prosperoapp.com",
    "previsto": "https://api.previsto.io",
}


def merge_providers(
    files: list[ConfigFile],
    issues: list[ConfigIssue],
    environ: Mapping[str, str],
    resolve: bool,
) -> dict[str, ProviderSettings]:
    providers: dict[str, ProviderSettings] = {}
    first_at: dict[str, Location] = {}
    for file in files:
        block = file.document.get("providers")
        if not isinstance(block, dict):
            continue
        for name, raw in block.items():
            path: JsonPath = ("providers", name)
            here = file.source.at(path)
            if name in first_at:
                what = f'"{name}" is set' if name == STACK else f'provider "{name}" is configured'
                issues.append(
                    file.source.issue(path, f"{what} twice (first at {first_at[name]}); keep one")
                )
                continue
            first_at[name] = here
            if name not in DEFAULT_BASE_URLS or not isinstance(raw, dict):
                continue
            providers[name] = _provider(name, raw, file, here, issues, environ, resolve)
    return providers


def _provider(
    name: str,
    raw: Mapping[str, Any],
    file: ConfigFile,
    here: Location,
    issues: list[ConfigIssue],
    environ: Mapping[str, str],
    resolve: bool,
) -> ProviderSettings:
    settings: dict[str, str] = {"base_url": DEFAULT_BASE_URLS[name]}
    secrets: set[str] = set()
    rate: float | None = None
    for setting, value in raw.items():
        path: JsonPath = ("providers", name, setting)
        if not file.clean(path):  # the schema said what is wrong with it
            continue
        if setting == "requests_per_minute":
            # The schema allows only a positive integer here.
            if isinstance(value, int) and not isinstance(value, bool):
                rate = float(value)
            continue
        if not isinstance(value, str):
            continue
        checked_url = setting == "base_url" or setting in SECRET_URL_SETTINGS
        if checked_url and has_userinfo(value):
            # Never echo the value: its user-info is a password outside the secret settings.
            issues.append(file.source.issue(path, USERINFO_REFUSED))
            continue
        if checked_url and not REFERENCE.search(value):
            # The transport's own rule, here with the file and line: even unresolved, a literal
            # URL that the transport would refuse is a mistake in the file.
            problem = base_url_problem(value)
            if problem is not None:
                issues.append(file.source.issue(path, problem))
                continue
        if not resolve:
            settings[setting] = value
            continue
        if setting in SECRET_SETTINGS and not REFERENCE.fullmatch(value):
            issues.append(file.source.issue(path, LITERAL_SECRET))  # the schema's rule, kept here
            continue
        resolved = resolve_references(value, path, file.source, environ, issues)
        if resolved is None:
            continue
        if checked_url:
            # The same rule for a URL completed from the environment (user-info included).
            problem = base_url_problem(resolved)
            if problem is not None:
                issues.append(file.source.issue(path, problem))
                continue
        settings[setting] = resolved
        if setting in SECRET_SETTINGS:
            secrets.add(resolved)
        elif setting in SECRET_URL_SETTINGS:
            secrets.update(url_secrets(resolved))
    return ProviderSettings(
        name=name,
        settings=settings,
        secrets=frozenset(secrets),
        location=here,
        requests_per_minute=rate,
    )


def resolve_references(
    value: str,
    path: JsonPath,
    source: SourceMap,
    environ: Mapping[str, str],
    issues: list[ConfigIssue],
) -> str | None:
    """Replace every ${NAME} with the environment's value; None (and an issue) when one lacks."""
    missing = False
    for variable in dict.fromkeys(REFERENCE.findall(value)):
        if variable not in environ:
            issues.append(
                source.issue(
                    path,
                    f"environment variable {variable} is not set: export it before running",
                )
            )
            missing = True
        elif environ[variable] == "":
            issues.append(source.issue(path, f"environment variable {variable} is set but empty"))
            missing = True
        elif not environ[variable].isascii() and _undecodable(environ[variable]):
            # Bytes the locale could not decode arrive as lone surrogates: no header, URL or
            # log line can carry them.
            issues.append(
                source.issue(path, f"environment variable {variable} is not valid UTF-8 text")
            )
            missing = True
    if missing:
        return None
    return REFERENCE.sub(lambda match: environ[match.group(1)], value)


def _undecodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def require_providers(
    files: list[ConfigFile], providers: Mapping[str, ProviderSettings], issues: list[ConfigIssue]
) -> None:
    """Objects of a kind need their provider configured somewhere."""
    for kind in KINDS:
        provider = PROVIDER_OF[kind]
        if provider in providers:
            continue
        for file in files:
            items = file.document.get(kind)
            if isinstance(items, list) and items:
                issues.append(
                    file.source.issue(
                        (kind,),
                        f"{kind} are declared but providers.{provider} is not configured "
                        "in any file",
                    )
                )
                break


def secret_variables(path: Path) -> list[str]:
    """Names of the environment variables that secret settings, secret-bearing URL settings and
    notification URLs read (`${NAME}`), in file order.

    Read with the loader's own discovery and YAML reader, and tolerant: a file that does not
    parse gives no names (`reconciler` itself reports it), the others still do.
    """
    names: list[str] = []
    files, _ = discover(path)
    # Bounded as the loader reads: the Action masks secrets before it runs anything else. A bad
    # limit setting is for `reconciler` itself to report; this keeps to the defaults.
    try:
        limits = ReadLimits.from_environ(os.environ)
    except ReconcilerError:
        limits = ReadLimits()
    read, _ = read_all(files, limits)
    for name, raw in read:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
        document = parse_yaml(text, name).document
        if not isinstance(document, dict):
            continue
        # A notification target's URL carries its service's token: a secret as well.
        targets = document.get("notifications")
        for target in targets.values() if isinstance(targets, dict) else ():
            url = target.get("url") if isinstance(target, dict) else None
            if isinstance(url, str):
                names.extend(REFERENCE.findall(url))
        block = document.get("providers")
        if not isinstance(block, dict):
            continue
        for settings in block.values():
            if not isinstance(settings, dict):
                continue
            for setting in sorted((SECRET_SETTINGS | SECRET_URL_SETTINGS) & settings.keys()):
                value = settings[setting]
                if isinstance(value, str):
                    names.extend(REFERENCE.findall(value))
    return list(dict.fromkeys(names))
