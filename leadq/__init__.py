"""leadq: batch lead scoring from a reviewable YAML ruleset, compiled to Polars."""

__version__ = "0.1.0"
