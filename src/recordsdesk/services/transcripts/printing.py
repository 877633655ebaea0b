"""Printing through the system's CUPS: `lpstat` to find a printer, `lp` to send the PDF.

Every failure becomes a PrintingUnavailable with a sentence the person at the desk can act on
(no CUPS installed, no printer set up, the printer refused the job).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from recordsdesk.services.shared.errors import RecordsError

TIMEOUT_SECONDS = 20


class PrintingUnavailable(RecordsError):
    pass


@dataclass(frozen=True)
class PrintJob:
    printer: str
    job: str


def _run(args: list[str], data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    if shutil.which(args[0]) is None:
        raise PrintingUnavailable(
            f"Printing needs CUPS, and `{args[0]}` is not installed on this computer. "
            "Export the PDF (e) and print it from another program."
        )
    try:
        return subprocess.run(
            args, input=data, capture_output=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrintingUnavailable(f"`{args[0]}` did not answer: {exc}") from exc


def printers() -> list[str]:
    """Printers CUPS accepts jobs for, by name."""
    result = _run(["lpstat", "-a"])
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip() or "no printers"
        if "No destinations" in message or "no system default" in message.lower():
            return []
        raise PrintingUnavailable(f"CUPS cannot list printers: {message}")
    names = []
    for row in result.stdout.decode(errors="replace").splitlines():
        if row.strip():
            names.append(row.split()[0])
    return names


def default_printer() -> str | None:
    result = _run(["lpstat", "-d"])
    text = result.stdout.decode(errors="replace")
    if result.returncode == 0 and ":" in text and "no system default" not in text:
        return text.split(":", 1)[1].strip() or None
    return None


def choose_printer(requested: str | None = None) -> str:
    """The requested printer if CUPS has it, else the default, else the only one."""
    available = printers()
    if not available:
        raise PrintingUnavailable("No printer is set up in CUPS. Export the PDF instead (e).")
    if requested:
        if requested not in available:
            raise PrintingUnavailable(
                f"There is no printer {requested!r}; CUPS has {', '.join(available)}."
            )
        return requested
    default = default_printer()
    return default if default in available else available[0]


def print_pdf(data: bytes, *, title: str, printer: str | None = None) -> PrintJob:
    """Send a PDF to CUPS; returns the printer and job id `lp` reported."""
    name = choose_printer(printer)
    result = _run(["lp", "-d", name, "-t", title, "-"], data)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        raise PrintingUnavailable(f"The printer {name} refused the job: {message}")
    reply = result.stdout.decode(errors="replace").strip()
    job = (
        reply.split()[3] if reply.startswith("request id is") and len(reply.split()) > 3 else reply
    )
    return PrintJob(printer=name, job=job)
