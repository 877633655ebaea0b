"""Draw the README's two pictures of the desk: the lookup and a student's record, as SVG.

Textual saves what it would draw on a terminal, so the pictures are the desk itself, not a
mock-up. The data is the README's demo institution (2,000 synthetic students, seed 2026), built
by the same command the README gives into a throwaway data directory, so a run never touches a
real database. Run it from a clone after a change to the lookup or the record:

    PYTHONPATH=src python3 docs/images/make_screenshots.py

(or plain `python3 docs/images/make_screenshots.py` after `pip install .`), then commit the SVGs.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Wide enough to show the lookup's columns and the record's band without cutting them.
SIZE = (110, 32)
#: The README's first lookup example: the demo's example student comes first.
QUERY = "gar jos"


def build_demo(data_dir: Path) -> None:
    """The README's set-up command without opening the desk: `recordsdesk demo --no-open`."""
    env = {**os.environ, "RECORDSDESK_DATA_DIR": str(data_dir)}
    subprocess.run(
        [sys.executable, "-m", "recordsdesk", "demo", "--no-open"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


async def draw(data_dir: Path) -> None:
    """Sign in as the demo's registrar, search, save the lookup; open the record, save it."""
    os.environ["RECORDSDESK_DATA_DIR"] = str(data_dir)
    from recordsdesk.config import demo_database_url
    from recordsdesk.db import open_database
    from recordsdesk.ui.app import make_app

    app = make_app(open_database(demo_database_url()), username="registrar")
    async with app.run_test(size=SIZE) as pilot:

        async def settle() -> None:
            await app.workers.wait_for_complete()
            await pilot.pause()

        await settle()
        await pilot.press(*QUERY)
        await settle()
        app.save_screenshot(filename="lookup.svg", path=str(HERE))
        await pilot.press("enter")
        await settle()
        app.save_screenshot(filename="record.svg", path=str(HERE))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="recordsdesk-shots-") as scratch:
        data_dir = Path(scratch) / "data"
        build_demo(data_dir)
        asyncio.run(draw(data_dir))
    print(f"saved {HERE / 'lookup.svg'} and {HERE / 'record.svg'}")


if __name__ == "__main__":
    main()
