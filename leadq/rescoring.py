"""Inputs read once and scored several times, with every internal column.

``leadq diff`` scores the same leads with two rulesets and ``leadq calibrate``
needs the rule hits behind each score: both open the files once
(:func:`read_frames`, lazily) and call :func:`score_detail` per ruleset on the
same LazyFrames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Sequence

import polars as pl

from leadq.activity_input import read_activity_files
from leadq.errors import UsageError
from leadq.input_columns import number_columns
from leadq.inputs import InputFile, ReadOptions, concat_inputs, input_error_from_polars, read_input_files, run_counted
from leadq.pipeline import ScoreResult, read_account_files, score_frames
from leadq.ruleset import Ruleset


@dataclass
class InputFrames:
    """The lazily read inputs of a run, shared by several scorings of the same data."""

    contacts: pl.LazyFrame
    events: pl.LazyFrame | None
    accounts: pl.LazyFrame | None
    contacts_label: str
    events_label: str
    contacts_files: list[InputFile] = field(default_factory=list)  # each checked for the ruleset's columns
    events_files: list[InputFile] = field(default_factory=list)
    accounts_files: list[InputFile] = field(default_factory=list)
    contact_specs: Sequence[str] = ()  # where the contacts were read from, to read them again (run_counted)
    options: ReadOptions = ReadOptions()


def read_frames(contact_specs: Sequence[str], activity_specs: Sequence[str] = (),
                account_specs: Sequence[str] = (), *, options: ReadOptions = ReadOptions(),
                stdin: BinaryIO | None = None, rulesets: Sequence[Ruleset] = ()) -> InputFrames:
    """Open the input files (paths, globs or ``-``) once, lazily, to be scored with ``rulesets``.

    The activity log's and the accounts' blank rows are those blank in every column one of
    the rulesets maps (:func:`leadq.activity_input.read_activity_files`,
    :func:`leadq.pipeline.read_account_files`); with no ruleset given, those blank in all
    their columns. So are the contacts', checked by a count (:func:`score_detail`).

    Raises:
        UsageError, InputError: as :func:`leadq.inputs.read_inputs`.
    """
    if list(activity_specs).count("-") + list(contact_specs).count("-") + list(account_specs).count("-") > 1:
        raise UsageError("only one input can come from stdin ('-')")
    used = {c.column for r in rulesets for c in r.columns.values()} if rulesets else None
    contacts = read_input_files(contact_specs, options, stdin=stdin, used_columns=used,
                                number_columns=number_columns(c for r in rulesets for c in r.columns.values())
                                if rulesets else None)
    events = read_activity_files(activity_specs, *rulesets, options=options, stdin=stdin)
    accounts = read_account_files(account_specs, *rulesets, options=options, stdin=stdin)
    return InputFrames(concat_inputs(contacts), concat_inputs(events) if events else None,
                       concat_inputs(accounts) if accounts else None, ", ".join(contact_specs),
                       ", ".join(activity_specs), contacts, events, accounts, list(contact_specs), options)


def score_detail(ruleset: Ruleset, frames: InputFrames, as_of: datetime,
                 keep_columns: Sequence[str] = ()) -> ScoreResult:
    """Score the inputs with every internal column (``ScoreResult`` with ``detail``).

    The contacts read with the rulesets' columns making a row (:func:`read_frames`) are checked
    by their count, and read again with every column tested when a row had text only in others
    (:func:`leadq.inputs.run_counted`; ``keep_columns`` may be such columns).

    Raises:
        InputError, MissingColumnsError: when the inputs do not fit the ruleset.
    """
    def score(files: list[InputFile]) -> ScoreResult:
        try:
            return score_frames(ruleset, concat_inputs(files), frames.events if ruleset.event_rules else None,
                                frames.accounts, as_of=as_of, keep_columns=keep_columns, detail=True,
                                contacts_label=frames.contacts_label, events_label=frames.events_label,
                                contacts_files=files, events_files=frames.events_files,
                                accounts_files=frames.accounts_files)
        except pl.exceptions.PolarsError as exc:
            raise input_error_from_polars(exc, frames.contacts_label) from exc

    return run_counted(frames.contacts_files, frames.contact_specs, frames.options, score,
                       lambda result: result.stats.rows_by_file())
