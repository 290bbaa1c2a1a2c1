"""``python -m tests.support.control --state DIR NAME {stop,start,freeze,thaw,status}``: a target file's hook.

Run it from the repository root (``tests`` is a namespace package there). Exit codes: 0 done, 1 the action failed
(the message names the server, its command, port, probe and log tail), 2 misuse (unknown server or action).
``status`` prints one JSON object: name, status (running, frozen, stopped, exited), pid, port, command, log.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tests.support.servers import ACTIONS, ControlError, ServerSet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.control", description=__doc__.splitlines()[0])
    parser.add_argument("--state", required=True, type=Path, help="the state directory of a ServerSet")
    parser.add_argument("name", help="the server's name (a file NAME.json in the state directory)")
    parser.add_argument("action", choices=ACTIONS)
    args = parser.parse_args(argv)
    if not args.state.is_dir():
        print(f"control: state directory {args.state} does not exist", file=sys.stderr)
        return 2
    servers = ServerSet(args.state)
    if args.name not in servers.names():
        known = ", ".join(servers.names()) or "(none)"
        print(f"control: no server named {args.name!r} in {args.state}; known: {known}", file=sys.stderr)
        return 2
    try:
        if args.action == "status":
            print(json.dumps(servers.describe(args.name)))
        elif args.action == "start":
            servers.restart(args.name)
        else:
            getattr(servers, args.action)(args.name)
    except ControlError as exc:
        print(f"control: {args.name} {args.action} failed:\n{exc}", file=sys.stderr)
        return 1
    if args.action != "status":
        print(f"control: {args.name} {args.action}: {servers.describe(args.name)['status']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
