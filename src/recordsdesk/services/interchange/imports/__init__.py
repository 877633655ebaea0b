"""Imports from the formats other school systems speak: student CSV, legacy academic history
CSV, OneRoster 1.1 CSV sets. Every import checks the whole file before writing, names file, line
and column for each problem, writes all of it or nothing, and changes nothing when run again.
"""
