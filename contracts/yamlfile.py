"""Reading the user's YAML files (fleet, target, probe and baseline files) with errors that say what to do.

Every such file is read the same way: a missing file, text that is not YAML, and a document that is not a mapping
are the user's own mistakes, each reported as the caller's error type with the file's name, what was expected and
what was seen, never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["read_yaml_mapping"]


def read_yaml_mapping(
    file: Path, error: type[Exception], *, missing: str, keys: str, empty_is_mapping: bool = False
) -> dict[str, Any]:
    """The mapping the YAML ``file`` holds.

    Args:
        file: the file to read.
        error: raised (with a one-paragraph message) for each of the user's mistakes below.
        missing: what to say after ``"<file>: "`` when the file does not exist (e.g. "no such fleet file. Pass ...").
        keys: the keys a valid file has, for the message when the document is not a mapping.
        empty_is_mapping: an empty file reads as ``{}`` (a file whose every key has a default).
    """
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{file}: {missing}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{file}: cannot be read ({exc}); expected a readable UTF-8 YAML file") from None
    except yaml.YAMLError as exc:
        raise error(f"{file}: not valid YAML: {exc}") from None
    if raw is None and empty_is_mapping:
        return {}
    if not isinstance(raw, dict):
        seen = "nothing (an empty file)" if raw is None else type(raw).__name__
        raise error(f"{file}: expected a mapping with keys {keys}; saw {seen}")
    return raw
