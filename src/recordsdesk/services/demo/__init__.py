"""The demo institution builder behind `recordsdesk demo`: a realistic, deterministic university
with a laboratory school, written with bulk loads so a million students take minutes."""

from recordsdesk.services.demo.build import NotADemoDatabase, build_demo_database, demo_password
from recordsdesk.services.demo.summary import DemoAccount, DemoSummary

__all__ = ["DemoAccount", "DemoSummary", "NotADemoDatabase", "build_demo_database", "demo_password"]
