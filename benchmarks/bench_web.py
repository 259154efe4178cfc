"""Benchmark the web app: p50/p95 latency of every page and API route with concurrent
logged-in users, the same while a build publishes, server RSS, and LCP per dashboard.

Not a test. Generates (seeded) a workspace of --beneficiaries x 12 months with `aco synth`,
`aco ingest`, `aco build` into --workdir (default bench-data/web, gitignored) and reuses it on
the next run; starts `aco serve` as its own process; creates one user per role; finds each
role's pages and API routes by following the links its pages show (so patient pages,
worklists and drill-throughs carry real tokens); then:

1. steady: --users asyncio clients (httpx), logged in through the /login form, each
   requesting its role's URLs in a seeded random order with no think time, for --seconds;
2. publish: the same load while `aco build --full-refresh` rebuilds and publishes a new
   warehouse file (the app follows the publish without a restart), until the build ends;
3. LCP: Chromium (Playwright, /usr/bin/chromium) loads each role's dashboard and reads the
   largest contentful paint from a PerformanceObserver (median of --lcp-loads warm loads).

The server's RSS (psutil, sampled every 0.5 s) is reported per phase. The load generator runs
on the same machine as the server: on a 2-core machine it takes CPU from it, so these are
upper bounds. Prints tables and writes JSON to benchmarks/out/.

    python benchmarks/bench_web.py --beneficiaries 100000 --users 20 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
ACO = [sys.executable, "-m", "aco_pipeline"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CHROMIUM = os.environ.get("ACO_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SKIP = re.compile(r"^/(logout|login|static/|vendor/)|[?&]format=")
PER_TEMPLATE = 3  # distinct URLs kept per route template (e.g. three patient pages)
LCP = """() => new Promise(resolve => {
    new PerformanceObserver(list => {
        const entries = list.getEntries();
        resolve(entries[entries.length - 1].startTime);
    }).observe({type: 'largest-contentful-paint', buffered: true});
    setTimeout(() => resolve(null), 5000);
})"""


# --- the workspace ------------------------------------------------------------------------


def prepare(n: int, workdir: Path, seed: int) -> Path:
    """The built workspace of n beneficiaries x 12 months (reused when already built)."""
    base = workdir / f"n{n}"
    ws = base / "ws"
    if (ws / "warehouse" / "aco.duckdb").is_file():
        print(f"reusing {ws}", flush=True)
        return ws
    shutil.rmtree(base, ignore_errors=True)
    synthetic = base / "synthetic"
    plan = [
        ("synth", [*ACO, "synth", "-n", str(n), "--start", "2024-01", "--months", "12",
                   "--seed", str(seed), "--out", str(synthetic)]),
        ("init", [*ACO, "init", str(ws), "--performance-year", "2024"]),
        ("ingest", [*ACO, "ingest", str(synthetic / "deliveries"), "-w", str(ws)]),
        ("build", [*ACO, "build", "-w", str(ws)]),
    ]
    for name, cmd in plan:
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        print(f"{n:,}: {name} {time.perf_counter() - t0:.1f} s", flush=True)
    return ws


def make_users(ws: Path) -> dict[str, tuple[str, str]]:
    """One user per role (password reset when the user exists): role -> (name, password)."""
    from aco_pipeline.config import load_workspace
    from aco_pipeline.web.access.principal import Role
    from aco_pipeline.web.access.store import WEB_DB
    from aco_pipeline.web.access.users import UserStore, generate_password

    store = UserStore(load_workspace(ws).state_dir / WEB_DB)
    users = {}
    for role in Role:
        name, password = f"bench-{role.value.replace('_', '-')}", generate_password()
        if store.by_name(name) is None:
            store.add(name, frozenset({role}), password)
        else:
            store.reset_password(name, password)
        users[role.value] = (name, password)
    return users


def route_templates(ws: Path) -> list[tuple[re.Pattern[str], str]]:
    """The app's GET routes as (regex, template), most specific first."""
    from aco_pipeline.config import load_workspace
    from aco_pipeline.web.access.guard import route_rules
    from aco_pipeline.web.app import create_app

    out = []
    for rule in route_rules(create_app(load_workspace(ws))):
        path = rule.path
        if "GET" in rule.methods:
            parts = re.split(r"\{[^}]+\}", path)
            pattern = "^" + "[^/]+".join(map(re.escape, parts)) + "$"
            out.append((re.compile(pattern), path))
    return sorted(out, key=lambda t: (t[1].count("{"), -len(t[1])))


def template_of(url: str, templates: list[tuple[re.Pattern[str], str]]) -> str:
    path = urlsplit(url).path
    for pattern, template in templates:
        if pattern.match(path):
            return template
    return path


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RssSampler(threading.Thread):
    """Samples the server's RSS (with its children) until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.samples: list[float] = []
        self.stopped = threading.Event()

    def rss_mb(self) -> float:
        procs = [self.proc, *self.proc.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            try:
                self.samples.append(self.rss_mb())
            except psutil.NoSuchProcess:
                return

    def window(self) -> list[float]:
        """The samples so far, cleared."""
        out, self.samples = self.samples, []
        return out


# --- clients ------------------------------------------------------------------------------


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


async def log_in(client: httpx.AsyncClient, name: str, password: str) -> None:
    form = await client.get("/login")
    token = CSRF.search(form.text)
    assert token, "no CSRF token on /login"
    r = await client.post("/login", data={"username": name, "password": password, "next": "/",
                                          "csrf_token": token.group(1)})
    assert r.status_code == 303, f"login of {name} failed: {r.status_code}"


async def discover(base: str, name: str, password: str,
                   templates: list[tuple[re.Pattern[str], str]], limit: int) -> list[str]:
    """The role's GET URLs reachable from `/` by links (depth 3), PER_TEMPLATE per route
    template, plus the /api twin of every page that has one."""
    known = {t for _, t in templates}
    seen: dict[str, list[str]] = defaultdict(list)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await log_in(client, name, password)
        start = (await client.get("/", follow_redirects=True)).url
        frontier, visited = [str(start.raw_path.decode())], set()
        for _depth in range(3):
            following: list[str] = []
            for url in frontier:
                if (url in visited or sum(map(len, seen.values())) >= limit
                        or len(seen[template_of(url, templates)]) >= PER_TEMPLATE):
                    continue
                visited.add(url)
                try:
                    r = await client.get(url)
                except httpx.TransportError:
                    r = None
                if r is None or r.status_code != 200:
                    if r is None or r.status_code >= 400:
                        status = "no response" if r is None else r.status_code
                        print(f"  discovery: {url} answered {status}; left out", flush=True)
                    continue
                template = template_of(url, templates)
                if len(seen[template]) < PER_TEMPLATE:
                    seen[template].append(url)
                    api = "/api" + url
                    if template_of(api, templates) in known and api not in visited:
                        visited.add(api)
                        if (await client.get(api)).status_code == 200:
                            seen[template_of(api, templates)].append(api)
                if "text/html" not in r.headers.get("content-type", ""):
                    continue
                parser = Links()
                parser.feed(r.text)
                for href in parser.hrefs:
                    absolute = urljoin(base + url, href)
                    if not absolute.startswith(base):
                        continue
                    path = absolute[len(base):]
                    if (not SKIP.search(path)
                            and len(seen[template_of(path, templates)]) < PER_TEMPLATE):
                        following.append(path)
            frontier = following
    return [u for urls in seen.values() for u in urls]


@dataclass
class Sample:
    template: str
    seconds: float
    status: int


@dataclass
class Load:
    samples: list[Sample] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)


async def virtual_user(base: str, name: str, password: str, urls: list[str],
                       templates: list[tuple[re.Pattern[str], str]], load: Load,
                       seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        await log_in(client, name, password)
        while not load.stop.is_set():
            url = rng.choice(urls)
            t0 = time.perf_counter()
            try:
                r = await client.get(url)
                status = r.status_code
            except httpx.TransportError:
                status = 0  # no response: counted, shown as status 0
            load.samples.append(Sample(template_of(url, templates), time.perf_counter() - t0,
                                       status))


async def run_load(base: str, users: dict[str, tuple[str, str]], urls: dict[str, list[str]],
                   templates: list[tuple[re.Pattern[str], str]], n_users: int,
                   until: asyncio.Future | float) -> Load:
    load = Load()
    roles = [r for r in users if urls.get(r)]
    tasks = [asyncio.create_task(virtual_user(base, *users[roles[i % len(roles)]],
                                              urls[roles[i % len(roles)]], templates, load,
                                              seed=i))
             for i in range(n_users)]
    if isinstance(until, float):
        await asyncio.sleep(until)
    else:
        await until
    load.stop.set()
    await asyncio.gather(*tasks)
    return load


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarise(load: Load, seconds: float) -> list[dict[str, object]]:
    by: dict[str, list[Sample]] = defaultdict(list)
    for s in load.samples:
        by[s.template].append(s)
    by["(all)"] = load.samples
    rows = []
    for template, samples in sorted(by.items()):
        ms = [s.seconds * 1000 for s in samples]
        statuses = sorted({s.status for s in samples})
        rows.append({"route": template, "requests": len(ms),
                     "p50_ms": round(percentile(ms, 0.50), 1),
                     "p95_ms": round(percentile(ms, 0.95), 1),
                     "max_ms": round(max(ms), 1), "statuses": statuses,
                     "per_s": round(len(ms) / seconds, 1)})
    return rows


def print_table(title: str, rows: list[dict[str, object]], rss: list[float]) -> None:
    peak = f"{max(rss):.0f}" if rss else "-"
    print(f"\n### {title} (server RSS peak {peak} MB)\n")
    print("| route | requests | req/s | p50 ms | p95 ms | max ms | statuses |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| `{r['route']}` | {r['requests']} | {r['per_s']} | {r['p50_ms']} | "
              f"{r['p95_ms']} | {r['max_ms']} | {','.join(map(str, r['statuses']))} |")


# --- LCP ----------------------------------------------------------------------------------


def measure_lcp(base: str, users: dict[str, tuple[str, str]], loads: int) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    out: dict[str, object] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=CHROMIUM_ARGS)
        for role, (name, password) in users.items():
            ctx = browser.new_context(base_url=base, viewport={"width": 1280, "height": 860})
            page = ctx.new_page()
            page.goto("/login")
            page.fill("input[name=username]", name)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            dashboard = urlsplit(page.url).path
            values = []
            for _ in range(loads):
                page.goto(dashboard, wait_until="load")
                value = page.evaluate(LCP)
                if value is not None:
                    values.append(value)
            out[role] = {"page": dashboard,
                         "lcp_ms": round(statistics.median(values), 1) if values else None,
                         "loads": values}
            ctx.close()
        browser.close()
    return out


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--beneficiaries", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0, help="steady-load duration")
    ap.add_argument("--urls-per-role", type=int, default=60)
    ap.add_argument("--lcp-loads", type=int, default=3)
    ap.add_argument("--no-publish", action="store_true", help="skip the load during a build")
    ap.add_argument("--workdir", type=Path, default=ROOT / "bench-data" / "web")
    args = ap.parse_args()

    ws = prepare(args.beneficiaries, args.workdir, args.seed)
    users = make_users(ws)
    templates = route_templates(ws)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (ws.parent / "serve.log").open("wb")
    server = subprocess.Popen([*ACO, "serve", "-w", str(ws), "--port", str(port)],
                              stdout=log, stderr=subprocess.STDOUT)
    result: dict[str, object] = {"beneficiaries": args.beneficiaries, "users": args.users,
                                 "cpu_count": os.cpu_count()}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"aco serve did not start (see {log.name})")
            time.sleep(0.2)
        sampler = RssSampler(server.pid)
        result["rss_idle_mb"] = round(sampler.rss_mb())
        sampler.start()

        async def find_all() -> dict[str, list[str]]:
            found = await asyncio.gather(*(discover(base, *users[r], templates,
                                                    args.urls_per_role) for r in users))
            return dict(zip(users, found, strict=True))

        urls = asyncio.run(find_all())
        result["urls"] = urls
        print("routes per role:", {r: len(u) for r, u in urls.items()}, flush=True)
        sampler.window()

        steady = asyncio.run(run_load(base, users, urls, templates, args.users, args.seconds))
        rss = sampler.window()
        rows = summarise(steady, args.seconds)
        print_table(f"{args.users} users, {args.seconds:.0f} s, {args.beneficiaries:,} "
                    "beneficiaries", rows, rss)
        result["steady"] = {"rows": rows, "rss_peak_mb": round(max(rss)) if rss else None}

        if not args.no_publish:
            async def during_build() -> tuple[Load, float]:
                t0 = time.perf_counter()
                build = await asyncio.create_subprocess_exec(
                    *ACO, "build", "--full-refresh", "-w", str(ws),
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
                load = await run_load(base, users, urls, templates, args.users,
                                      asyncio.ensure_future(build.wait()))
                if build.returncode:
                    raise SystemExit(f"aco build --full-refresh failed ({build.returncode})")
                return load, time.perf_counter() - t0

            during, seconds = asyncio.run(during_build())
            rss = sampler.window()
            rows = summarise(during, seconds)
            print_table(f"the same during `aco build --full-refresh` ({seconds:.0f} s, "
                        "published at its end)", rows, rss)
            result["publish"] = {"rows": rows, "build_seconds": round(seconds, 1),
                                 "rss_peak_mb": round(max(rss)) if rss else None}
            after = httpx.get(base + "/healthz", timeout=10).status_code
            result["after_publish_healthz"] = after

        if Path(CHROMIUM).is_file():
            lcp = measure_lcp(base, users, args.lcp_loads)
            result["lcp"] = lcp
            print("\n| role | dashboard | LCP ms (median) |\n|---|---|---:|")
            for role, v in lcp.items():
                print(f"| {role} | `{v['page']}` | {v['lcp_ms']} |")
        result["rss_end_mb"] = round(sampler.rss_mb())
        sampler.stopped.set()
        print(f"\nserver RSS: idle {result['rss_idle_mb']} MB, end {result['rss_end_mb']} MB")
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench_web-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=1, default=str))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
