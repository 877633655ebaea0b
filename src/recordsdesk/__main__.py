"""`python -m recordsdesk` runs the same command as `recordsdesk`."""

from recordsdesk.cli import main

raise SystemExit(main())
