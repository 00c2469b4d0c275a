"""The long profile of the fuzz harness (issue 20): 10,000+ hostile cases through
decoding, the readers (every suffix, hostile file names), the ingest and sentence
stages, and the store; prints the cases run and the failures found per check.

    python bench/fuzz.py                  # 10,000 cases: 4,000 decode, 4,500 files, 1,200 stage, 300 store
    python bench/fuzz.py --cases 50000 --seed 7

The checks are the ones the test suite runs in its fast profile
(``tests/spine/test_fuzz.py``); their promises are stated in ``tests/fuzzing.py``.
A failure prints Hypothesis's shrunk example. Exit code 1 when any check failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hypothesis import HealthCheck, Phase, given, settings, seed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import fuzzing  # noqa: E402

SHARES = {"decode": 0.40, "files": 0.45, "stages": 0.12, "store": 0.03}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases in all, shared out over the checks")
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args(argv)

    counts = {name: 0 for name in SHARES}
    harness = fuzzing.StageHarness(Path(tempfile.mkdtemp(prefix="pw-fuzz-bench-")))

    def counted(name, check):
        def run(values):
            counts[name] += 1
            check(*values)
        return run

    decode = counted("decode", fuzzing.check_decode)
    files = counted("files", fuzzing.check_input_file)
    stages = counted("stages", harness.check_stages)
    store = counted("store", harness.check_store)
    checks = {
        "decode": given(st.tuples(fuzzing.any_bytes))(decode),
        "files": given(st.tuples(fuzzing.file_name, st.sampled_from(fuzzing.SUFFIXES), fuzzing.any_bytes))(files),
        "stages": given(st.tuples(fuzzing.documents))(stages),
        "store": given(st.tuples(fuzzing.documents))(store),
    }
    failed: dict[str, str] = {}
    timings: dict[str, float] = {}
    for name, test in checks.items():
        wanted = max(1, int(args.cases * SHARES[name]))
        run = settings(
            max_examples=wanted, deadline=None, database=None, phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )(seed(args.seed)(test))
        started = time.perf_counter()
        try:
            run()
        except Exception:  # noqa: BLE001 - a failed check is reported, the others still run
            failed[name] = traceback.format_exc(limit=3)
        timings[name] = time.perf_counter() - started
        status = "FAILED" if name in failed else "ok"
        print(f"{name:7s} {counts[name]:>7,} cases  {timings[name]:7.1f} s  {status}", flush=True)
    harness.close()
    total = sum(counts.values())
    print(f"{'all':7s} {total:>7,} cases  {sum(timings.values()):7.1f} s  "
          f"{len(failed)} failed check(s); stories stored by the store check: {harness.stored:,}")
    for name, trace in failed.items():
        print(f"\n--- {name} ---\n{trace}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
