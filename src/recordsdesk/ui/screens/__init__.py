"""The desk's screens, one package per part of the office (the same parts as the services), each
screen with its own `.tcss` beside it; `base` and `help` serve every part."""
