"""One-command benchmarks: ``python -m benchmarks.<name>`` prints min/median/max beside a same-run baseline."""
