"""``python -m benchmarks.pact``: provider verification time per pact file, per provider and for the fleet.

Starts the providers of ``contracts/pacts/`` (auth, master-data) with organization on embedded infrastructure, then
verifies every pact ``--runs`` times (default 3) with ``fleetcheck.pact.verify_pact``: HTTP interactions with their
provider states seeded through the APIs, message interactions caused for real and read back from Kafka. The baseline
of a provider's row is the same run's work without Pact: its provider states set up and its messages caused and
captured from Kafka, as the verification does them, so the table shows what the verifier adds on top. Times are
min / median / max in seconds.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

from benchmarks._table import Row, print_table, timed
from fleetcheck.pact import ApiStates, EventCauses, PactFile, load_pacts, verify_pact
from fleetcheck.reference import ReferenceFleet

__all__ = ["main"]


def _states_of(pact: PactFile) -> list[str]:
    content = json.loads(pact.path.read_text(encoding="utf-8"))
    return [s["name"] for i in content["interactions"] for s in i.get("providerStates", [])]


def _without_pact(states: ApiStates, causes: EventCauses, pacts: list[PactFile]) -> None:
    """What verifying ``pacts`` does besides Pact: set up each provider state, cause and capture each message."""
    for pact in pacts:
        for state in _states_of(pact):
            states.setup(state)
        for description, kind in pact.interactions:
            if kind.startswith("Asynchronous"):
                causes.produce(description)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pact", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="verifications of every pact (default 3)")
    args = parser.parse_args(argv)
    pacts = load_pacts()
    providers = sorted({p.provider for p in pacts})
    per_file: dict[str, list[float]] = defaultdict(list)
    per_provider: dict[str, list[float]] = defaultdict(list)
    seeding: dict[str, list[float]] = defaultdict(list)
    fleet_runs: list[float] = []
    with ReferenceFleet(services=sorted({*providers, "organization", "auth"})) as fleet:
        states, causes = ApiStates(fleet), EventCauses(fleet)
        for _ in range(args.runs):
            run_total = 0.0
            for provider in providers:
                spent = 0.0
                for pact in (p for p in pacts if p.provider == provider):
                    verdict: list[bool] = []
                    took = timed(lambda pact=pact, verdict=verdict: verdict.append(verify_pact(fleet, pact).verified))
                    if not verdict[0]:
                        raise SystemExit(f"{pact.path.name} did not verify; a benchmark of a failing run means nothing")
                    per_file[pact.path.name].append(took)
                    spent += took
                per_provider[provider].append(spent)
                own = [p for p in pacts if p.provider == provider]
                seeding[provider].append(timed(lambda own=own: _without_pact(states, causes, own)))
                run_total += spent
            fleet_runs.append(run_total)
    rows = [Row(f"  {name}", runs) for name, runs in sorted(per_file.items())]
    rows += [Row(f"provider {p}", per_provider[p], "states and messages alone", seeding[p]) for p in providers]
    rows.append(Row("fleet (every pact)", fleet_runs))
    print_table(f"provider verification, {len(pacts)} pact files ({args.runs} runs)", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
