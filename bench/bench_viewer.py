# SPDX-License-Identifier: EUPL-1.2
"""Benchmark of the viewer's first complete map (issue 12): measured and printed, never
asserted.

The real store (``strata load`` into a schema of the bench), served by ``strata serve`` on a
free port. Debian's Chromium, driven by Playwright, with software WebGL (SwiftShader), as in
tests/test_viewer.py: each visit is a new browser, opening
``/map?layers=municipalities,streets&lang=en`` with an empty cache at 1400 x 900, and the
time is the viewer's own ``strataViewer.firstIdleMs`` (MapLibre's first ``idle`` event,
from navigation start). Three ways, in turns so that the machine's drift falls on each alike:
- **started**: the browser has started (a first page opened, the machine quiet, as a
  planner's browser is when they follow a link), then the viewer is opened;
- **just launched**: the viewer is opened the moment the browser is launched, while the
  browser still loads its own pages (in Chromium 156 headless, the omnibox popup's WebUI,
  about a second of CPU);
- **second visitor**: a new context (empty cache) in a browser that has just shown the
  viewer.
One visit first, not counted, so that the service has made the tiles once (as a running
service has). Prints the median, the range and how many visits were under 1.5 s.

Usage: .venv/bin/python bench/bench_viewer.py [--visits N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Playwright, sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from bench_service import served_real_store  # noqa: E402
from test_viewer import CHROMIUM, LAUNCH_ARGS, settle  # noqa: E402

from services.store import Store  # noqa: E402
from versioning.reading import editions  # noqa: E402

SCHEMA = "bench_viewer"
QUERY = "/map?layers=municipalities,streets&lang=en"
TARGET_MS = 1500


def visit(browser: Browser, base: str) -> int:
    """One visit in a new context: the first complete map's time, in milliseconds."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(base + QUERY)
        page.wait_for_function(
            "() => window.strataViewer && window.strataViewer.firstIdleMs !== undefined",
            timeout=60_000)
        return int(page.evaluate("window.strataViewer.firstIdleMs"))
    finally:
        context.close()



def main() -> None:
    """Load if needed, serve, measure, print."""
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--visits", type=int, default=8)
    n = args.parse_args().visits

    def loaded(store: Store) -> bool:
        with store.connect() as conn:
            return bool(editions(conn, "municipalities"))

    with served_real_store(SCHEMA, loaded) as (base, _, _), sync_playwright() as playwright:
        measure(playwright, base, n)


def measure(playwright: Playwright, base: str, n: int) -> None:
    not_quiet = []  # started browsers whose machine never got quiet (something else ran)

    def once(started: bool, visits: int) -> list[int]:
        """The last of ``visits`` visits in a fresh browser (started, or just launched)."""
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            if started and not settle(browser):
                not_quiet.append(browser)
            return [[visit(browser, base) for _ in range(visits)][-1]]
        finally:
            browser.close()

    ways: dict[str, Callable[[], list[int]]] = {
        "started": lambda: once(True, 1), "just launched": lambda: once(False, 1),
        "second visitor": lambda: once(True, 2)}
    once(True, 1)  # the service makes the tiles once
    times: dict[str, list[int]] = {name: [] for name in ways}
    for _ in range(n):
        for name, way in ways.items():
            times[name] += way()
    print(f"viewer's first complete map, {n} visits each (ms; target {TARGET_MS})")
    if not_quiet:
        print(f"(the machine never got quiet before {len(not_quiet)} of the started browsers' "
              "visits: something else ran)")
    print(f"{'browser':<18}{'median':>8}{'min':>8}{'max':>8}{'under target':>14}")
    for name, got in times.items():
        under = sum(t < TARGET_MS for t in got)
        print(f"{name:<18}{statistics.median(got):8.0f}{min(got):8d}{max(got):8d}"
              f"{f'{under}/{len(got)}':>14}")
        print(f"{'':<18}{sorted(got)}")


if __name__ == "__main__":
    main()
