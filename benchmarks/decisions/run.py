"""``stadsvakt bench decisions``: one run over one request set, printed as JSON.

Steps: generate and store the city; build stadsvakt's index from the database (its
memory measured with tracemalloc); time stadsvakt, pycasbin and cedarpy on the same
requests; then HTTP decisions against a ``stadsvakt serve`` subprocess at a fixed rate,
and the delay from a deactivation to that server's first deny.
"""

from __future__ import annotations

import gc
import random
import statistics
import tempfile
import time
import tracemalloc
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from benchmarks.decisions import city as city_mod
from benchmarks.decisions.http_load import cpu_seconds, deactivation_to_deny, open_loop, server
from benchmarks.decisions.rivals import CasbinRival, CedarRival
from stadsvakt.access.decide import DecisionRequest, decide
from stadsvakt.access.index.follower import AccessIndex
from stadsvakt.auth.tokens import create_token
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import create_db_engine, create_session_factory, unit_of_work
from stadsvakt.directory.service import deactivate_person
from stadsvakt.migrate import upgrade
from stadsvakt.runtime import settle_heap
from stadsvakt.settings import Settings

#: The request week (Monday 12 January 2026 onwards: no Swedish public holiday in it).
WEEK = datetime(2026, 1, 12, tzinfo=UTC)
Request = tuple[uuid.UUID, str, datetime]


@dataclass
class Options:
    """What to run."""

    scale: float = 1.0
    seed: int = 20260112
    requests: int = 100_000
    rival_seconds: float = 10.0
    http: bool = True
    http_rate: float = 1000.0
    http_seconds: float = 10.0
    #: `stadsvakt serve --workers` of the HTTP part.
    http_workers: int = 2
    #: Skip the in-process rivals (pycasbin, cedarpy): the HTTP part alone.
    only_http: bool = False
    database_url: str | None = None


def make_requests(data: city_mod.CityData, count: int, seed: int) -> list[Request]:
    """Half at doors the card's holder may open, half at random doors, at random times."""
    rng = random.Random(seed + 1)
    out: list[Request] = []
    for _ in range(count):
        card, person = rng.choice(data.cards)
        reach = data.person_doors.get(person) or data.doors
        door = rng.choice(reach) if rng.random() < 0.5 else rng.choice(data.doors)
        at = WEEK + timedelta(minutes=rng.randrange(7 * 24 * 60), seconds=rng.random())
        out.append((door, card, at))
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _time_stadsvakt(
    index: AccessIndex, tenant: uuid.UUID, requests: list[Request]
) -> dict[str, Any]:
    state = index.state
    prepared = [(DecisionRequest(tenant, d, c), at) for d, c, at in requests]
    # One untimed pass first: a serving index is warm (in the CPU's caches, its pages
    # mapped), and the first touch of each part of it would be timed otherwise.
    for request, at in prepared:
        decide(request, state, at)
    clock = time.perf_counter_ns
    samples: list[float] = []
    for request, at in prepared:
        started = clock()
        decide(request, state, at)
        samples.append((clock() - started) / 1000)
    t0 = time.perf_counter()
    granted = sum(decide(request, state, at).granted for request, at in prepared)
    elapsed = time.perf_counter() - t0
    return {
        "decisions_per_s": round(len(prepared) / elapsed),
        "p50_us": round(statistics.median(samples), 2),
        "p99_us": round(_percentile(samples, 0.99), 2),
        "granted_share": round(granted / len(prepared), 3),
    }


def _time_casbin(rival: CasbinRival, requests: list[Request], budget: float) -> dict[str, Any]:
    done, t0 = 0, time.perf_counter()
    answers: list[bool] = []
    for door, card, at in requests:
        answers.append(rival.decide(door, card, at))
        done += 1
        if time.perf_counter() - t0 > budget:
            break
    elapsed = time.perf_counter() - t0
    return {"decisions_per_s": round(done / elapsed, 1), "requests": done, "answers": answers}


def _time_cedar(rival: CedarRival, requests: list[Request], budget: float) -> dict[str, Any]:
    done, t0 = 0, time.perf_counter()
    answers: list[bool] = []
    while done < len(requests) and time.perf_counter() - t0 < budget:
        chunk = requests[done : done + 1000]
        answers.extend(rival.decide_batch(chunk))
        done += len(chunk)
    elapsed = time.perf_counter() - t0
    return {"decisions_per_s": round(done / elapsed, 1), "requests": done, "answers": answers}


def _agreement(
    index: AccessIndex, tenant: uuid.UUID, requests: list[Request], answers: list[bool]
) -> float:
    ours = [decide(DecisionRequest(tenant, d, c), index.state, at).granted for d, c, at in requests]
    same = sum(a == b for a, b in zip(ours, answers, strict=False))
    return round(same / max(len(answers), 1), 4)


def run(options: Options, console: Console) -> dict[str, Any]:
    """Run the whole benchmark; returns the flat result dict."""
    result: dict[str, Any] = {"scale": options.scale, "seed": options.seed}
    with tempfile.TemporaryDirectory(prefix="stadsvakt-bench-") as tmp:
        workdir = Path(tmp)
        url = options.database_url or f"sqlite:///{workdir / 'bench.db'}"
        settings = Settings(database_url=url, _env_file=None)
        engine = create_db_engine(settings)
        upgrade(settings, engine)
        factory = create_session_factory(engine)
        with Progress(console=console, transient=True) as progress:
            with unit_of_work(factory) as session:
                tenant = city_mod.new_tenant(session)
                data = city_mod.generate(tenant, scale=options.scale, seed=options.seed)
                total = sum(len(rows) for rows in data.rows.values())
                task = progress.add_task("Writing the city", total=total)
                city_mod.write(session, data, lambda _, n: progress.advance(task, n))
                actor = system_actor("bench", tenant)
                with acting_as(actor):
                    token, _ = create_token(
                        session, actor, name="bench", scopes=["access.decide"], expires_days=1
                    )
            result.update({f"city.{k}": v for k, v in data.sizes.items()})
            progress.add_task("Building the index", total=None)
            index = AccessIndex()
            gc.collect()
            tracemalloc.start()
            t0 = time.perf_counter()
            with factory() as session:
                index.build(session)
            result["index_build_s"] = round(time.perf_counter() - t0, 2)
            gc.collect()
            result["index_bytes"] = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
        requests = make_requests(data, options.requests, options.seed)
        # As the server does once its index is built (follower.py): what exists now is
        # long-lived, and the collector should not walk it between decisions.
        settle_heap()
        console.print(f"[bold]stadsvakt[/bold] in-process over {len(requests)} requests")
        for key, value in _time_stadsvakt(index, tenant, requests).items():
            result[f"stadsvakt.{key}"] = value
        if not options.only_http:
            _rivals(options, index, tenant, requests, workdir, result, console)
        if options.http:
            result.update(
                _http(options, url, workdir, token, index, tenant, requests, factory, console)
            )
        engine.dispose()
    return result


def _rivals(
    options: Options,
    index: AccessIndex,
    tenant: uuid.UUID,
    requests: list[Request],
    workdir: Path,
    result: dict[str, Any],
    console: Console,
) -> None:
    """Time pycasbin and cedarpy on the same requests (into ``result``)."""
    console.print("[bold]pycasbin[/bold]: building the policy")
    casbin_rival = CasbinRival(index.state, tenant, WEEK, workdir)
    casbin_rival.decide(*requests[0])  # the first answer builds caches: not timed
    casbin_result = _time_casbin(casbin_rival, requests, options.rival_seconds)
    result["pycasbin.decisions_per_s"] = casbin_result["decisions_per_s"]
    result["pycasbin.requests"] = casbin_result["requests"]
    result["pycasbin.policy_lines"] = casbin_rival.policy_count
    result["pycasbin.agreement"] = _agreement(index, tenant, requests, casbin_result["answers"])
    del casbin_rival
    console.print("[bold]cedarpy[/bold]: building policies and entities")
    cedar_rival = CedarRival(index.state, tenant, WEEK)
    cedar_result = _time_cedar(cedar_rival, requests, options.rival_seconds)
    result["cedarpy.decisions_per_s"] = cedar_result["decisions_per_s"]
    result["cedarpy.requests"] = cedar_result["requests"]
    result["cedarpy.policies"] = cedar_rival.policy_count
    result["cedarpy.entities"] = cedar_rival.entity_count
    result["cedarpy.agreement"] = _agreement(index, tenant, requests, cedar_result["answers"])
    del cedar_rival
    ours = result["stadsvakt.decisions_per_s"]
    result["ratio_vs_pycasbin"] = round(ours / result["pycasbin.decisions_per_s"], 1)
    result["ratio_vs_cedarpy"] = round(ours / result["cedarpy.decisions_per_s"], 2)


def _http(
    options: Options,
    url: str,
    workdir: Path,
    token: str,
    index: AccessIndex,
    tenant: uuid.UUID,
    requests: list[Request],
    factory: Any,
    console: Console,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with server(url, workdir, workers=options.http_workers) as running:
        base = running.base
        console.print(
            f"[bold]HTTP[/bold]: {options.http_rate:.0f} req/s for {options.http_seconds:.0f} s,"
            f" {options.http_workers} worker(s)"
        )
        # Build the server's index first, so the measured CPU is the requests' own.
        open_loop(base, token, requests, rate=50, seconds=1)
        cpu_before = cpu_seconds(running.pid)
        latencies, errors, achieved = open_loop(
            base, token, requests, rate=options.http_rate, seconds=options.http_seconds
        )
        cpu = cpu_seconds(running.pid) - cpu_before
        out["http.workers"] = options.http_workers
        out["http.server_cpu_ms_per_request"] = round(cpu * 1000 / max(len(latencies), 1), 3)
        out["http.rate"] = round(achieved, 1)
        out["http.requests"] = len(latencies)
        out["http.errors"] = errors
        out["http.p50_ms"] = round(statistics.median(latencies) * 1000, 2)
        out["http.p99_ms"] = round(_percentile(latencies, 0.99) * 1000, 2)
        # Deactivate a person whose card opens a door, as SCIM `active: false` does.
        for door, card, at in requests:
            decision = decide(DecisionRequest(tenant, door, card), index.state, at)
            if decision.granted and decision.person_id is not None:
                person_id = decision.person_id
                break
        else:
            raise RuntimeError("no granted request to deactivate")

        def deactivate() -> None:
            actor = system_actor("bench-scim", tenant)
            with acting_as(actor), unit_of_work(factory) as session:
                deactivate_person(session, actor, person_id, reason="scim active=false")

        delay = deactivation_to_deny(base, token, (door, card, at), deactivate)
        out["scim_deactivation_to_deny_ms"] = round(delay * 1000, 1)
    return out
