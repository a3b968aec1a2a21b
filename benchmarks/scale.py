"""Depok-scale nightly sync on one machine: full run, day-2 increment and Splink, per drop size.

    .venv/bin/python benchmarks/scale.py --persons 20000
    .venv/bin/python benchmarks/scale.py --persons 200000 --seed 1 --json /tmp/scale-200k.json
    .venv/bin/python benchmarks/scale.py --persons 200000 --seed 1 --prefect-server 4321
    .venv/bin/python benchmarks/scale.py --persons 1000000 --skip-splink
    .venv/bin/python benchmarks/scale.py --persons 200000 --db postgresql+psycopg://registry@dbhost/empty

For every size (default 20k and 200k persons; 1M and 2M when named) and the seed:

1. **generate** the day-1 drop with ``registry samples`` (cached under
   ``benchmarks/cache/drop-<persons>-seed<seed>/``, as ``quality.py`` / ``incremental.py`` cache it) and
   day 2 with ``synthetic.generate_next_day(day1, seed=seed + 1000)`` (cached under
   ``benchmarks/cache/day2-<persons>-seed<seed>/``, as ``incremental.py`` does); each generation runs in
   its own process, so its seconds and peak memory are measured (a cached drop shows ``cached``);
2. **full run**: ``registry run`` through the installed CLI into a fresh registry (SQLite in a temporary
   folder, or ``--db``: an empty database; then only one size), each run starting Prefect's temporary
   server, or with ``--prefect-server PORT`` reporting to one server the script starts first (as the
   nightly deployment's runs do), then the pairwise P / R / F1 of the
   registry against the drop's ``truth.csv`` (``pipelines.evaluation.evaluate_registry``, what
   ``registry evaluate`` prints);
3. **incremental run**: ``registry run`` of day 2 on that registry, scored against day 2's truth;
4. **ours, matching only** (its own process): the drop read with ``connectors.read_drop``, then
   ``standardise_records``, then ``score_records`` + ``cluster_scored`` (= ``link_records``) timed on their
   own; scoring on the local executor a ``registry run`` matches with (``REGISTRY_LOCAL_PROCESSES``: by
   default this process and a forked helper on a 2-core machine; DuckDB uses every core too);
5. **Splink** (its own process): ``splink_baseline.link_generated`` on the *same* standardised
   frame (pickled by step 4), standardised records in, clusters out.

Per step: wall seconds, peak memory, candidate pairs, records per second, F1; per pipeline stage of the
CLI runs: seconds (parsed from the CLI's ``stage <name> finished in <s> s`` log lines,
``pipelines/progress.py``) and the highest RSS sampled while the stage ran. Candidate pairs and the
increment's counts come from the registry's ``runs`` table (``counts``).

Memory: every step is a child process watched by a thread that samples, every 0.2 s, the RSS of the
process and of its descendants (psutil). ``peak MB`` is the step's own process: its kernel high-water
mark (``VmHWM`` in ``/proc/<pid>/status``, read until it exits, so no spike is missed);
``others MB`` is the highest sampled sum of its descendants' RSS — for ``registry run`` the temporary
Prefect server (a uvicorn subprocess; none with ``--prefect-server``), the GX worker and the helpers
forked for matching (their RSS counts the pages they share with the run's process) — reported apart and
not counted in ``peak MB``.

Ratios ours / Splink:

* matching: ours ``score_records`` + ``cluster_scored`` seconds (step 4) / Splink's seconds (step 5), both
  from the same standardised frame to cluster ids (``quality.py`` times ours with standardisation
  included; here both sides leave it out). The CLI's ``match`` + ``cluster`` stage seconds / Splink is
  printed too.
* end to end: the full ``registry run`` wall seconds (Prefect start, ingest, validation, standardisation,
  matching, publishing into the registry, the HTML report) / (reading the drop + our standardisation,
  from step 4, + Splink's seconds): what a Splink-based job needs at least to turn the same drop into
  clusters, since Splink is given our standardised columns. The two sides do not do the same work
  (Splink's side writes no registry and no report), so it is an upper bound of our overhead.

Memory on the 24 GB standard machine (BENCHMARKS.md, "Scale"): the full run peaked at 1.6 GB at 200k and
11.3 GiB at 2M persons (match and clustering); Splink passed 22 GB at 1M and was stopped. Above 200k
persons Splink is left out unless ``--splink-large`` asks for it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for entry in (str(HERE), str(ROOT)):
    if entry not in sys.path:
        sys.path.insert(0, entry)  # sibling benchmark modules and the project's packages

from quality import CACHE  # noqa: E402

REGISTRY = str(Path(sys.executable).with_name("registry"))
DEFAULT_PERSONS = (20_000, 200_000)
#: Above this size Splink runs only when asked (``--splink-large``): at 1M it passed 22 GB here.
SPLINK_SAFE_PERSONS = 200_000
STAGE_LINE = re.compile(r"stage (\w+) (started|finished in ([\d.]+) s|failed after ([\d.]+) s)")
POLL_SECONDS = 0.2
MB = 1024 * 1024


# --------------------------------------------------------------------------------------------------
# measuring a child process
# --------------------------------------------------------------------------------------------------


@dataclass
class Measured:
    """One step run as a child process."""

    name: str
    seconds: float
    peak_mb: float  # the process's own RSS high-water mark
    others_mb: float  # highest sampled RSS sum of its descendants (the Prefect server for `registry run`)
    rusage_maxrss_mb: float  # wait4's ru_maxrss: the largest single process of the tree (cross-check)
    returncode: int
    load_start: float
    load_end: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    stage_peak_mb: dict[str, float] = field(default_factory=dict)  # sampled every POLL_SECONDS
    stdout: str = ""
    stderr_tail: str = ""


def _vm_hwm_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def run_measured(name: str, command: list[str], log_dir: Path, env: dict[str, str] | None = None) -> Measured:
    """Run ``command`` (cwd: the repository) with stdout/stderr to files, watching its memory and, for
    ``registry run``, which pipeline stage it is in."""
    import psutil

    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / f"{name}.out", log_dir / f"{name}.err"
    load_start = os.getloadavg()[0]
    started = time.perf_counter()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT, env=env)
    state = {"hwm_kb": 0, "others": 0, "stage": None, "stage_peak": {}}
    stop = threading.Event()

    def watch() -> None:
        try:
            me = psutil.Process(process.pid)
        except psutil.Error:
            return
        offset = 0
        while not stop.is_set():
            hwm = _vm_hwm_kb(process.pid)
            if hwm is not None:
                state["hwm_kb"] = max(state["hwm_kb"], hwm)
            try:
                rss = me.memory_info().rss
                others = 0
                for child in me.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        others += child.memory_info().rss
            except psutil.Error:
                rss, others = 0, 0
            state["others"] = max(state["others"], others)
            try:  # which stage is running: the log lines written so far
                with open(err_path, errors="replace") as handle:
                    handle.seek(offset)
                    chunk = handle.read()
                    cut = chunk.rfind("\n") + 1
                    offset += len(chunk[:cut].encode("utf-8", errors="replace"))
                for found in STAGE_LINE.finditer(chunk[:cut]):
                    state["stage"] = found.group(1) if found.group(2) == "started" else None
            except OSError:
                pass
            if state["stage"] is not None and rss:
                peaks = state["stage_peak"]
                peaks[state["stage"]] = max(peaks.get(state["stage"], 0), rss)
            stop.wait(POLL_SECONDS)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    # wait4 rather than Popen.wait: the kernel's ru_maxrss of the process (and any descendants it reaped)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stop.set()
    watcher.join()
    # VmHWM: the process's own high-water mark, read until it exits. ru_maxrss (kept as a cross-check):
    # the kernel's figure at exit, the largest of the process and the descendants it reaped.
    peak_kb = state["hwm_kb"] or usage.ru_maxrss
    stderr = err_path.read_text(errors="replace")
    stage_seconds: dict[str, float] = {}
    for found in STAGE_LINE.finditer(stderr):
        value = found.group(3) or found.group(4)
        if value is not None:
            stage_seconds[found.group(1)] = stage_seconds.get(found.group(1), 0.0) + float(value)
    return Measured(
        name=name,
        seconds=seconds,
        peak_mb=peak_kb * 1024 / MB,
        others_mb=state["others"] / MB,
        rusage_maxrss_mb=usage.ru_maxrss / 1024,
        returncode=process.returncode,
        load_start=load_start,
        load_end=os.getloadavg()[0],
        stage_seconds=stage_seconds,
        stage_peak_mb={k: v / MB for k, v in state["stage_peak"].items()},
        stdout=out_path.read_text(errors="replace"),
        stderr_tail=stderr[-3000:],
    )


def _checked(measured: Measured) -> Measured:
    if measured.returncode != 0:
        sys.exit(f"{measured.name} failed ({measured.returncode}):\n{measured.stderr_tail}")
    return measured


# --------------------------------------------------------------------------------------------------
# machine
# --------------------------------------------------------------------------------------------------


def machine() -> dict:
    import psutil

    def git(*arguments: str) -> str:
        completed = subprocess.run(["git", *arguments], capture_output=True, text=True, cwd=ROOT)
        return completed.stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--short"))
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "available_gb_at_start": round(psutil.virtual_memory().available / 1024**3, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git": head + (" with uncommitted changes" if dirty else ""),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_start": [round(x, 2) for x in os.getloadavg()],
    }


# --------------------------------------------------------------------------------------------------
# workers (run in their own process by the steps below)
# --------------------------------------------------------------------------------------------------


def worker_generate_next_day(day1: Path, day2: Path, seed: int) -> None:
    from synthetic import generate_next_day

    generate_next_day(day1, day2, seed=seed)


def worker_ours(drop: Path, std_out: Path | None, result_path: Path) -> None:
    """Read + standardise + score + cluster, each timed; pickles the standardised frame for Splink."""
    import warnings

    import numpy as np
    from quality import load_drop

    from matching import cluster_scored, load_settings, pairwise_scores, score_records, standardise_records
    from matching.executors import LocalExecutor
    from pipelines.settings import RegistrySettings

    warnings.filterwarnings("ignore", category=FutureWarning)
    # the processes a `registry run` matches with (REGISTRY_LOCAL_PROCESSES; DuckDB uses every core too)
    executor = LocalExecutor(processes=RegistrySettings().local_processes)
    clock = time.perf_counter()
    canonical, truth, truth_records = load_drop(drop)
    read_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    std = standardise_records(canonical)
    standardise_seconds = time.perf_counter() - clock
    del canonical
    settings = load_settings()
    clock = time.perf_counter()
    scored = score_records(std, settings, executor=executor)
    score_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    result = cluster_scored(std, scored, settings)
    cluster_seconds = time.perf_counter() - clock
    precision, recall, f1 = pairwise_scores(result.cluster_ids, truth)
    payload = {
        "records": int(len(std)),
        "truth_records": int(truth_records),
        "read_seconds": read_seconds,
        "standardise_seconds": standardise_seconds,
        "processes": executor.processes,
        "score_seconds": score_seconds,
        "cluster_seconds": cluster_seconds,
        "candidate_pairs": int(len(result.pairs)),
        "persons": int(len(np.unique(result.cluster_ids))),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "steps": {k: float(v) for k, v in result.stats.get("seconds", {}).items()},
    }
    del result, scored
    if std_out is not None:
        with open(std_out, "wb") as handle:
            pickle.dump((std, truth), handle, protocol=pickle.HIGHEST_PROTOCOL)
    result_path.write_text(json.dumps(payload))


def worker_splink(std_path: Path, result_path: Path) -> None:
    import logging
    import warnings

    import splink_baseline

    from matching import pairwise_scores

    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", category=FutureWarning)
    with open(std_path, "rb") as handle:
        std, truth = pickle.load(handle)
    run = splink_baseline.link_generated(std)
    precision, recall, f1 = pairwise_scores(run.labels, truth)
    payload = {
        "records": int(len(std)),
        "seconds": run.seconds,
        "stages": run.stages,
        "predicted_pairs": int(len(run.pairs)),  # pairs above splink_baseline.PREDICT_FLOOR
        "lambda": run.lambda_,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }
    result_path.write_text(json.dumps(payload))


# --------------------------------------------------------------------------------------------------
# one size
# --------------------------------------------------------------------------------------------------


def _python(*arguments: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *arguments]


def _run_counts(db: str) -> dict:
    """The counts JSON of the registry's latest run."""
    import sqlalchemy as sa

    engine = sa.create_engine(db)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                sa.text("SELECT counts FROM runs ORDER BY started_at DESC LIMIT 1")
            ).one()
    finally:
        engine.dispose()
    return json.loads(row[0])


def _evaluate(db: str, truth: Path) -> dict:
    from pipelines.evaluation import evaluate_registry
    from store import open_registry

    engine = open_registry(db, create=False)
    try:
        return asdict(evaluate_registry(engine, truth))
    finally:
        engine.dispose()


def _step_record(measured: Measured, **more) -> dict:
    record = asdict(measured)
    record.pop("stdout")
    record.pop("stderr_tail")
    record.update(more)
    return record


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_size(
    persons: int,
    seed: int,
    arguments: argparse.Namespace,
    work: Path,
    save: Callable[[dict], None],
    env: dict[str, str] | None = None,
) -> dict:
    """Every step for one size; ``save(result so far)`` after each step (a long run stopped midway
    keeps what it measured). ``env``: the ``registry run`` steps' environment (``--prefect-server``)."""
    day1 = CACHE / f"drop-{persons}-seed{seed}"
    day2 = CACHE / f"day2-{persons}-seed{seed}"
    logs = work / f"logs-{persons}"
    result: dict = {"persons": persons, "seed": seed, "drop": str(day1), "steps": {}}
    steps = result["steps"]

    def done(key: str, value: dict) -> None:
        steps[key] = value
        save(result)

    if not ((day1 / "truth.csv").is_file() and (day1 / "sources.yaml").is_file()):
        _progress(f"generating {day1.name}")
        command = [REGISTRY, "samples", "--persons", str(persons), "--out", str(day1), "--seed", str(seed)]
        done("generate_day1", _step_record(_checked(run_measured("generate_day1", command, logs))))
    else:
        done("generate_day1", {"cached": True})
    if not arguments.skip_incremental:
        if not ((day2 / "truth.csv").is_file() and (day2 / "sources.yaml").is_file()):
            _progress(f"generating {day2.name}")
            command = _python("--worker", "next-day", str(day1), str(day2), str(seed + 1000))
            done("generate_day2", _step_record(_checked(run_measured("generate_day2", command, logs))))
        else:
            done("generate_day2", {"cached": True})

    registry_dir = work / f"registry-{persons}"
    registry_dir.mkdir(parents=True, exist_ok=True)
    db = arguments.db or f"sqlite:///{registry_dir / 'registry.db'}"

    def registry_run(name: str, drop: Path, truth: Path) -> dict:
        _progress(f"{name}: registry run on {drop.name}")
        command = [REGISTRY, "run", "--config", str(drop / "sources.yaml"), "--db", db,
                   "--report-dir", str(registry_dir / "reports")]  # fmt: skip
        measured = _checked(run_measured(name, command, logs, env))
        counts = _run_counts(db)
        records = int(sum(counts.get("read", {}).values()))
        _progress(f"{name}: {measured.seconds:.1f} s; evaluating against {truth.parent.name}/truth.csv")
        return _step_record(
            measured,
            records=records,
            candidate_pairs=counts.get("candidate_pairs"),
            persons_out=counts.get("persons"),
            increment=counts.get("increment"),
            evaluation=_evaluate(db, truth),
        )

    done("full_run", registry_run("full_run", day1, day1 / "truth.csv"))
    if not arguments.skip_incremental:
        done("incremental_run", registry_run("incremental_run", day2, day2 / "truth.csv"))

    skip_splink = arguments.skip_splink or (persons > SPLINK_SAFE_PERSONS and not arguments.splink_large)
    if skip_splink and not arguments.skip_splink:
        _progress(f"Splink left out above {SPLINK_SAFE_PERSONS:,} persons (--splink-large runs it)")
    std_path = work / f"std-{persons}.pickle"
    ours_json = work / f"ours-{persons}.json"
    _progress("ours: standardise + score_records + cluster_scored in their own process")
    command = _python("--worker", "ours", str(day1), str(ours_json))
    if not skip_splink:
        command += ["--std-out", str(std_path)]
    measured = _checked(run_measured("ours_matching", command, logs))
    done("ours_matching", _step_record(measured, **json.loads(ours_json.read_text())))
    if not skip_splink:
        _progress("Splink (DuckDB) on the same standardised records")
        splink_json = work / f"splink-{persons}.json"
        measured = _checked(run_measured("splink", _python("--worker", "splink", str(std_path),
                                                           str(splink_json)), logs))  # fmt: skip
        done("splink", _step_record(measured, **json.loads(splink_json.read_text())))
        std_path.unlink(missing_ok=True)
        result["ratios"] = ratios(steps)
    return result


def ratios(steps: dict) -> dict:
    ours, splink, full = steps["ours_matching"], steps["splink"], steps["full_run"]
    ours_matching = ours["score_seconds"] + ours["cluster_seconds"]
    cli_matching = full["stage_seconds"].get("match", 0.0) + full["stage_seconds"].get("cluster", 0.0)
    splink_end_to_end = ours["read_seconds"] + ours["standardise_seconds"] + splink["seconds"]
    return {
        "matching_in_process": ours_matching / splink["seconds"],
        "matching_cli_stages": cli_matching / splink["seconds"],
        "end_to_end": full["seconds"] / splink_end_to_end,
        "splink_end_to_end_seconds": splink_end_to_end,
        "peak_memory_matching": ours["peak_mb"] / splink["peak_mb"],
    }


# --------------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------------


def _f(value: float | None, spec: str) -> str:
    """``value`` formatted with ``spec`` (width first, e.g. ``"10,.0f"``); a dash of that width if None."""
    width = int(re.match(r"\d*", spec).group() or 0)
    return f"{'-':>{width}}" if value is None else format(value, spec)


def report(result: dict) -> str:
    steps = result["steps"]
    lines = [f"drop-{result['persons']}-seed{result['seed']}  ({result['drop']})"]
    header = (
        f"  {'step':<26}{'wall s':>9}{'peak MB':>10}{'others MB':>11}{'load':>11}{'records':>11}"
        f"{'cand. pairs':>13}{'records/s':>11}{'P':>9}{'R':>9}{'F1':>9}"
    )
    lines += [header, "  " + "-" * (len(header) - 2)]

    def row(label: str, step: dict, records=None, pairs=None, scores=None, seconds=None) -> None:
        seconds = step["seconds"] if seconds is None else seconds
        rate = records / seconds if records and seconds else None
        load = f"{step['load_start']:.1f}>{step['load_end']:.1f}" if "load_start" in step else "-"
        p, r, f1 = scores or (None, None, None)
        lines.append(
            f"  {label:<26}{seconds:9.1f}{_f(step.get('peak_mb'), '10,.0f')}"
            f"{_f(step.get('others_mb'), '11,.0f')}{load:>11}{_f(records, '11,')}{_f(pairs, '13,')}"
            f"{_f(rate, '11,.0f')}{_f(p, '9.5f')}{_f(r, '9.5f')}{_f(f1, '9.5f')}"
        )

    for key, label in (("generate_day1", "generate day 1"), ("generate_day2", "generate day 2")):
        if key in steps:
            if steps[key].get("cached"):
                lines.append(f"  {label:<26}{'cached':>9}")
            else:
                row(label, steps[key], records=result["persons"])
    for key, label in (
        ("full_run", "registry run (full)"),
        ("incremental_run", "registry run (day 2, incr.)"),
    ):
        if key not in steps:
            continue
        step = steps[key]
        ev = step["evaluation"]
        row(label, step, step["records"], step["candidate_pairs"], (ev["precision"], ev["recall"], ev["f1"]))
        for stage, seconds in step["stage_seconds"].items():
            peak = step["stage_peak_mb"].get(stage)
            rate = step["records"] / seconds if seconds >= 0.05 else None
            lines.append(
                f"    {stage:<24}{seconds:9.1f}{_f(peak, '10,.0f')}{'':>11}{'':>11}{'':>11}{'':>13}"
                f"{_f(rate, '11,.0f')}"
            )
        outside = step["seconds"] - sum(step["stage_seconds"].values())
        lines.append(f"    {'(outside the stages)':<24}{outside:9.1f}")
        if step.get("increment"):
            lines.append(f"    increment: {json.dumps(step['increment'])}")
    ours = steps["ours_matching"]
    score = (ours["precision"], ours["recall"], ours["f1"])
    row(f"ours, matching ({ours['processes']} proc.)", ours, ours["records"], ours["candidate_pairs"], score)
    for label, key in (
        ("read drop", "read_seconds"),
        ("standardise", "standardise_seconds"),
        ("score_records", "score_seconds"),
        ("cluster_scored", "cluster_seconds"),
    ):
        seconds = ours[key]
        lines.append(f"    {label:<24}{seconds:9.1f}{'':>56}{_f(ours['records'] / seconds, '11,.0f')}")
    matching = ours["score_seconds"] + ours["cluster_seconds"]
    lines.append(
        f"    {'score + cluster':<24}{matching:9.1f}{'':>56}{_f(ours['records'] / matching, '11,.0f')}  ("
        + " ".join(f"{k}={v:.1f}" for k, v in ours.get("steps", {}).items())
        + ")"
    )
    if "splink" in steps:
        splink = steps["splink"]
        row("Splink, matching process", splink, splink["records"], None,
            (splink["precision"], splink["recall"], splink["f1"]))  # fmt: skip
        lines.append(
            f"    {'link_generated':<24}{splink['seconds']:9.1f}{'':>56}"
            f"{_f(splink['records'] / splink['seconds'], '11,.0f')}  ("
            + " ".join(f"{k}={v:.1f}" for k, v in splink["stages"].items())
            + f"; {splink['predicted_pairs']:,} pairs p>=0.2)"
        )
        r = result["ratios"]
        lines += [
            "",
            f"  ours / Splink, matching (score_records + cluster_scored vs link_generated, same standardised "
            f"frame): {r['matching_in_process']:.2f}",
            f"  ours / Splink, matching (CLI full run's match + cluster stages vs link_generated): "
            f"{r['matching_cli_stages']:.2f}",
            f"  ours / Splink, end to end (full registry run {steps['full_run']['seconds']:.1f} s vs read + "
            f"our standardisation + Splink {r['splink_end_to_end_seconds']:.1f} s): {r['end_to_end']:.2f}",
            f"  ours / Splink, peak memory of the matching process: {r['peak_memory_matching']:.2f}",
        ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------------


def _worker(argv: list[str]) -> int:
    kind, *rest = argv
    if kind == "next-day":
        worker_generate_next_day(Path(rest[0]), Path(rest[1]), int(rest[2]))
    elif kind == "ours":
        std_out = Path(rest[3]) if len(rest) > 3 and rest[2] == "--std-out" else None
        worker_ours(Path(rest[0]), std_out, Path(rest[1]))
    elif kind == "splink":
        worker_splink(Path(rest[0]), Path(rest[1]))
    else:
        raise SystemExit(f"unknown worker {kind}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return _worker(argv[1:])
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, nargs="+", default=list(DEFAULT_PERSONS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-splink", action="store_true", help="leave out ours-vs-Splink matching")
    parser.add_argument(
        "--splink-large",
        action="store_true",
        help=f"run Splink above {SPLINK_SAFE_PERSONS:,} persons too (it passed 22 GB at 1M on 24 GB)",
    )
    parser.add_argument("--skip-incremental", action="store_true", help="leave out day 2")
    parser.add_argument("--db", help="an empty registry database (then one --persons size only)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the results as JSON too")
    parser.add_argument(
        "--prefect-server",
        type=int,
        metavar="PORT",
        help="run the registry runs against one Prefect server started on this loopback port (as the "
        "nightly deployment runs), instead of the temporary server each `registry run` starts otherwise",
    )
    arguments = parser.parse_args(argv)
    if arguments.db and len(arguments.persons) != 1:
        parser.error("--db needs exactly one --persons size (each size needs an empty registry)")

    info = machine()
    print(
        f"machine: {info['cores']} cores, {info['memory_gb']} GB RAM ({info['available_gb_at_start']} GB "
        f"available), Python {info['python']}, {info['platform']}"
    )
    print(f"git: {info['git']}; started {info['started']}; load average {info['load_start']}", flush=True)
    info["prefect"] = (
        f"one server on port {arguments.prefect_server}"
        if arguments.prefect_server
        else "temporary server per run"
    )
    print(f"Prefect: {info['prefect']}", flush=True)
    results = []
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="registry-scale-") as scratch:
        env = None
        if arguments.prefect_server:
            from incremental import prefect_server

            env = stack.enter_context(prefect_server(arguments.prefect_server))
        for persons in arguments.persons:

            def save(partial: dict) -> None:
                if arguments.json:
                    document = {"machine": info, "results": [*results, partial]}
                    arguments.json.write_text(json.dumps(document, indent=1))

            result = run_size(persons, arguments.seed, arguments, Path(scratch), save, env)
            results.append(result)
            print()
            print(report(result), flush=True)
            if arguments.json:  # after every size, so a later size that fails leaves the earlier ones
                arguments.json.write_text(json.dumps({"machine": info, "results": results}, indent=1))
    info["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    info["load_end"] = [round(x, 2) for x in os.getloadavg()]
    print()
    print(f"finished {info['finished']}; load average {info['load_end']} (1, 5, 15 min)")
    print(
        "peak MB: the step's own process (kernel high-water mark); others MB: its descendants' highest "
        "sampled RSS (for registry run: the temporary Prefect server, the GX worker, forked helpers); "
        f"stage MB: highest RSS sampled every {POLL_SECONDS} s during the stage. load: 1-min load "
        "average at the step's start > end."
    )
    if arguments.json:
        arguments.json.write_text(json.dumps({"machine": info, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
