"""Files in and out: imports from other systems and exports to them."""
