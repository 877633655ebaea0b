"""The office's own settings and the reference data every database starts with.

`settings` holds the GPA policies and default scale an admin changes; `reference` adds the
shipped scales, the institution row, the default checklist and the `system` account at every
open."""

__all__ = [
    "reference",
    "settings",
]
