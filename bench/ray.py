"""Articles per second: the local driver against the Ray engine with 1 and 2 workers, in one run.

    nice -n 10 python bench/ray.py                                  # 40 PTC articles (../shared/data)
    nice -n 10 python bench/ray.py --articles DIR --limit 100 --workers 1,2,4
    nice -n 10 python bench/ray.py --generated 200                  # invented texts instead

Each variant analyses the same articles into a fresh store, with the
default stages (``propwatch analyze`` as a user runs it), in its own
process: ``local`` runs the pipeline in that process; ``ray N`` starts a
local Ray of N CPUs with N workers (``ray.num_cpus``, ``ray.workers``)
over shards of ``--files-per-shard`` files. Printed per
variant: stories, wall seconds from start to the stored result (model
loading and Ray's start included), articles/s, the driver's peak memory
and, for Ray, the seconds of the map, each actor's peak memory and the
scaling efficiency (rate with N workers / (N x rate with 1)). Then
articles per core-hour per stage, from the stage seconds the workers
report. Timings depend on the cores free at the time; the figures in
docs/scale.md name the machine and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# run as a script, this file's folder comes first on the path, and this file is not the ray package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ARTICLES = ROOT.parent / "shared" / "data" / "ptc-train" / "articles"

WORDS = ("council harbour minister convoy bridge report officials border militia grain ministry denied "
         "analysts documents satellite images week province drought farmers railway station election "
         "committee spokesman inquiry evidence witnesses villagers prices shortage factory strike").split()


def invented(n: int, folder: Path, seed: int = 7) -> None:
    """``n`` invented articles of about 600 words, each a title and paragraphs."""
    rng = random.Random(seed)
    for i in range(n):
        paragraphs = []
        for _ in range(8):
            sentences = []
            for _ in range(5):
                words = [rng.choice(WORDS) for _ in range(rng.randint(10, 20))]
                sentences.append(" ".join(words).capitalize() + ".")
            paragraphs.append(" ".join(sentences))
        title = " ".join(rng.choice(WORDS) for _ in range(6)).title()
        (folder / f"article{i:05d}.txt").write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", "utf-8")


def one(variant: str, workers: int, inputs: str, work: Path, files_per_shard: int) -> dict:
    """Analyse ``inputs`` once (in this process) and say what it took."""
    from propwatch import Pipeline, load_config

    overrides = {"store.path": str(work / "bench.duckdb"), "ray.num_cpus": workers, "ray.workers": workers,
                 "ray.files_per_shard": files_per_shard}
    pipe = Pipeline(load_config(overrides=overrides))
    started = time.perf_counter()
    summary = pipe.analyze([inputs], engine="local" if variant == "local" else "ray")
    seconds = time.perf_counter() - started
    out = {"stories": summary.stories, "rejected": len(summary.rejected), "seconds": round(seconds, 2),
           "stage_seconds": summary.stage_seconds}
    if variant == "ray":
        manifest = json.loads((work / "bench.duckdb.shards" / f"run-{summary.run_id}.json").read_text("utf-8"))
        peaks: dict[int, float] = {}
        for report in manifest["reports"]:
            peaks[report["pid"]] = max(peaks.get(report["pid"], 0.0), report["peak_rss_mb"])
        out.update(map_seconds=manifest["map_seconds"], shards=manifest["shards"], actor_peak_mb=sorted(peaks.values()))
    pipe.close()
    return out


def measure(variant: str, workers: int, inputs: Path, files_per_shard: int) -> dict:
    """:func:`one` in a child process; its peak memory from the kernel."""
    work = Path(tempfile.mkdtemp(prefix=f"pw-bench-{variant}{workers}-"))
    try:
        cmd = [sys.executable, __file__, "--one", variant, "--workers", str(workers), "--inputs", str(inputs),
               "--work", str(work), "--files-per-shard", str(files_per_shard)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"{variant} {workers}: exit {proc.returncode}")
        result = json.loads(stdout.strip().splitlines()[-1])
        result["driver_peak_mb"] = round(usage.ru_maxrss / 1024, 1)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES, help="folder of articles (first --limit files)")
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--generated", type=int, default=0, help="use this many invented articles instead")
    parser.add_argument("--workers", default="1,2", help="Ray worker counts to measure")
    parser.add_argument("--files-per-shard", type=int, default=4)
    parser.add_argument("--one", choices=("local", "ray"), help=argparse.SUPPRESS)
    parser.add_argument("--inputs", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, int(args.workers), args.inputs, args.work, args.files_per_shard)))
        return

    folder = Path(tempfile.mkdtemp(prefix="pw-bench-inputs-"))
    try:
        if args.generated:
            invented(args.generated, folder)
            source = f"{args.generated} invented articles"
        else:
            files = sorted(p for p in args.articles.iterdir() if p.is_file())[: args.limit]
            for path in files:
                shutil.copy(path, folder / path.name)
            source = f"{len(files)} articles of {args.articles}"
        print(f"propwatch bench/ray.py: {source}, default stages, {os.cpu_count()} cores")
        runs = [("local", 1)] + [("ray", int(n)) for n in args.workers.split(",")]
        results = {}
        for variant, workers in runs:
            got = measure(variant, workers, folder, args.files_per_shard)
            results[(variant, workers)] = got
            rate = got["stories"] / got["seconds"]
            line = (f"{variant:5} {'' if variant == 'local' else f'{workers} worker(s)':12} {got['stories']:5d} stories "
                    f"{got['seconds']:8.1f} s  {rate:6.2f} articles/s  driver peak {got['driver_peak_mb']:.0f} MB")
            if variant == "ray":
                one_rate = results[("ray", int(args.workers.split(",")[0]))]
                base = one_rate["stories"] / one_rate["seconds"] / int(args.workers.split(",")[0])
                line += (f"  map {got['map_seconds']:.1f} s + store {got['seconds'] - got['map_seconds']:.1f} s, "
                         f"{got['shards']} shards, actor peak "
                         f"{'/'.join(f'{m:.0f}' for m in got['actor_peak_mb'])} MB, efficiency {rate / (workers * base):.2f}")
            print(line, flush=True)
        print("articles per core-hour per stage (stage seconds in the workers of the largest Ray run):")
        biggest = results[("ray", max(int(n) for n in args.workers.split(",")))]
        stories = biggest["stories"]
        total = 0.0
        for stage, seconds in sorted(biggest["stage_seconds"].items(), key=lambda kv: -kv[1]):
            if seconds >= 0.01:
                total += seconds
                print(f"  {stage:18} {stories * 3600 / seconds:12,.0f}")
        if total:
            print(f"  {'all stages':18} {stories * 3600 / total:12,.0f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
