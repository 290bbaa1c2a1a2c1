"""fleetcheck's drivers and observers: targets, HTTP observation, the verification runner, reports, CLI, pytest plugin.

Importing this package is cheap and starts nothing; see ``fleetcheck.runner.verify`` for the entry point in code.
"""

import logging

# A library logs; the application decides where to. Without this, Python's last-resort handler would print every
# librdkafka connection warning (routed to logging by the Kafka clients here) to the user's terminal.
logging.getLogger(__name__).addHandler(logging.NullHandler())
