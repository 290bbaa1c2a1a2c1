"""``python -m tests.support.topics HOST:PORT TOPIC:PARTITIONS ...``: create topics that do not exist yet.

Run after every start of an in-memory broker (Tansu loses its topics on a stop). The broker may accept connections a
moment before it answers metadata, so creation is retried for a bounded time. Exit 0 when all exist, 1 otherwise.
"""

from __future__ import annotations

import sys
import time

from confluent_kafka import KafkaException

from fleetcheck.fixtures.kafka import provision_topics

_TIMEOUT_S = 20.0


def main(argv: list[str]) -> int:
    if len(argv) < 1:
        print("usage: python -m tests.support.topics HOST:PORT TOPIC:PARTITIONS ...", file=sys.stderr)
        return 2
    bootstrap, wanted = argv[0], [(name, int(count)) for name, count in (arg.rsplit(":", 1) for arg in argv[1:])]
    deadline = time.monotonic() + _TIMEOUT_S
    while True:
        try:
            provision_topics(bootstrap, wanted, timeout=5.0)
        except KafkaException as exc:
            if time.monotonic() >= deadline:
                print(
                    f"topics: could not create {wanted} on {bootstrap} within {_TIMEOUT_S:g} s: {exc}", file=sys.stderr
                )
                return 1
            time.sleep(0.2)
        else:
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
