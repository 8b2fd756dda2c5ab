"""The one import framework behind every `import_*` command (DESIGN §8).

A command subclasses `ImportCommand` and declares its columns; it implements
`parse_record` (one input record → a value, or `RowRejected`) and `apply_batch` (a list of parsed
values → counts of created / updated / unchanged, written set-based, ledger included).
The framework does the rest, the same way for every command: CSV or JSON Lines read as a stream
in constant memory, batches, one transaction per batch (the whole file with --strict or
--dry-run), a progress bar on a terminal, rejected records written with line number and reason to
a report file as they happen, and a summary at the end.

A command may also skip records it has already imported unchanged without parsing them
(`fingerprints = True`): the reader computes a cheap fingerprint of each raw record
(`fingerprint`), one set-based query per batch finds the records whose fingerprint is stored on
what they would write (`known_unchanged`, by default from `changed_positions` and
`unchanged_stub`), and only the others are parsed and applied. With `row_fingerprinter` a CSV
row is fingerprinted from its cells and becomes a dict only if it must be parsed, and a batch
whose records are all unchanged and cannot affect one another (`unchanged_rows_apart`) is
counted without stubs or apply_batch. A re-run of an unchanged file then costs reading it, one
digest and one index lookup per record.
"""

import csv
import json
import math
import os
import queue
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from .ledger import Provenance, Source
from .models import Organisation

TRUE_WORDS = {"true", "1", "yes"}
# Records of a batch looked up first: if none of them is known unchanged, nor is the batch.
UNCHANGED_SAMPLE = 64
FALSE_WORDS = {"false", "0", "no"}


class RowRejected(ValueError):
    """A record that cannot be imported; the message is the reason given in the report."""


class _StrictAbort(Exception):
    pass


def parse_bool(value, column: str) -> bool:
    """true/false, 1/0, yes/no in any case (JSON booleans too)."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise RowRejected(f"{column}: {value!r} is not a boolean (true/false, 1/0, yes/no).")


def parse_time(value, column: str) -> datetime:
    """Unix seconds or ISO 8601 (a date means 00:00 UTC, a naive time is UTC)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    text = str(value).strip()
    try:
        return datetime.fromtimestamp(int(text), tz=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        parsed = parse_datetime(text)
        if parsed is None:
            day = parse_date(text)
            if day is not None:
                parsed = datetime(day.year, day.month, day.day)
    except ValueError:
        parsed = None
    if parsed is None:
        raise RowRejected(f"{column}: {value!r} is not unix seconds or an ISO 8601 time.")
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


@dataclass
class ImportContext:
    """What `apply_batch` needs besides the batch itself."""

    organisation: Organisation
    provenance: Provenance
    dry_run: bool
    file_name: str
    # Commands may keep state across batches here (e.g. ids already seen in the file).
    state: dict = field(default_factory=dict)


@dataclass
class Record:
    line: int
    data: dict
    # (key, digest) from ImportCommand.fingerprint, for commands with `fingerprints`.
    fingerprint: tuple | None = None


@dataclass
class _Rejection:
    """A record the reader itself refuses (wrong number of cells, a line that is not JSON)."""

    record: Record
    reason: str


def _read_ahead(iterable: Iterable, depth: int = 2) -> Iterator:
    """Iterate `iterable` in a background thread, at most `depth` items ahead (constant memory).

    Exceptions of the background thread are raised here; leaving the loop early (a --strict
    abort, an error) stops the thread before returning.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in iterable:
                if not put(item):
                    return
            put(end)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failure(exc))

    thread = threading.Thread(target=produce, name="import-read-ahead", daemon=True)
    # The main thread mostly waits on the database; when an answer arrives it should get the
    # GIL back at once, not after the parser's 5 ms slice (measured: 16% faster imports).
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is end:
                return
            if isinstance(item, _Failure):
                raise item.exception
            yield item
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(switch_interval)


@dataclass
class _Failure:
    exception: BaseException


class ImportCommand(BaseCommand):
    """Base of every import command. Subclasses set the class attributes and two methods."""

    # Column names the command understands; others are refused unless `extra_columns_allowed`.
    columns: tuple[str, ...] = ()
    required_columns: tuple[str, ...] = ()
    extra_columns_allowed = False
    formats = ("csv", "jsonl")
    default_batch_size = 5000
    # Parse the next batch in a background thread while the database writes this one (two cores
    # do twice the work). Only for commands whose parse_record never touches the database.
    parse_in_background = False
    # Skip records already imported unchanged before parsing them: the command implements
    # `fingerprint`, `known_unchanged` and `written_key`, and its items carry `.fingerprint`.
    fingerprints = False

    def parse_record(self, data: dict, context: ImportContext):
        """One record (column → value, blanks removed) → a value for apply_batch.

        Raise RowRejected with the reason to reject it.
        """
        raise NotImplementedError

    def apply_batch(self, items: list, context: ImportContext) -> Counter:
        """Write parsed items set-based; return Counter(created=…, updated=…, unchanged=…).

        Runs in a transaction. For an item only the database can judge (it names a record that
        does not exist, say) call `self.reject_later(item, reason)` and leave it out.
        """
        raise NotImplementedError

    def fingerprint(self, data: dict, context: ImportContext) -> tuple | None:
        """(key, digest) of a raw record, or None: the key names what the record would write,
        the digest everything its parsed value depends on. Runs in the reader thread: no
        database."""
        return None

    def known_unchanged(self, records: list[Record], context: ImportContext) -> dict:
        """{index in records: stub item} for the records whose fingerprint says they change
        nothing. A stub goes to apply_batch like a parsed item (so duplicates within a batch are
        still judged in line order) and must count as unchanged there.

        By default: the records `changed_positions` does not name, as `unchanged_stub` makes
        them."""
        looked_up = [i for i, record in enumerate(records) if record.fingerprint is not None]
        changed = set(self.changed_positions([records[i].fingerprint for i in looked_up], context))
        return {
            i: self.unchanged_stub(records[i], context)
            for position, i in enumerate(looked_up)
            if position not in changed
        }

    def changed_positions(self, fingerprints: list[tuple], context: ImportContext) -> list[int]:
        """Positions (ascending) of the fingerprints NOT known unchanged: their records are
        parsed. One set-based query; by default none is known."""
        return list(range(len(fingerprints)))

    def unchanged_stub(self, record: Record, context: ImportContext):
        """The stub item of a record `changed_positions` found unchanged (see known_unchanged)."""
        raise NotImplementedError

    def row_fingerprinter(self, header: list[str], context: ImportContext):
        """For CSV files: a function of a row's cells (in `header`'s order) that gives what
        `fingerprint` gives for the record, or None (the default) to fingerprint records as
        dicts. With it the reader builds no dict for a record found unchanged; the command then
        implements `changed_positions` and `unchanged_stub`. Runs in the reader thread."""
        return None

    def unchanged_rows_apart(self, header: list[str], rows: list[list[str]], context) -> bool:
        """For a batch of CSV rows all found unchanged, with distinct keys: True if their stubs
        could not affect one another in apply_batch either (then the batch is counted unchanged
        without stubs or apply_batch). The default, False, always goes through apply_batch."""
        return False

    def written_key(self, item):
        """The key (as in `fingerprint`) an item of apply_batch may write, None if it may write
        anything. A stub found before the previous batch was written is parsed after all if that
        batch wrote its key."""
        return None

    # Framework ---------------------------------------------------------------------------------
    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV with a header row, or JSON Lines (.jsonl)")
        parser.add_argument("--organisation", required=True, help="Organisation slug")
        parser.add_argument("--format", choices=self.formats, help="Default: from the file name")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count everything, write nothing"
        )
        parser.add_argument(
            "--strict", action="store_true", help="Any rejected row aborts the whole import"
        )
        parser.add_argument("--batch-size", type=int, default=self.default_batch_size)
        parser.add_argument(
            "--report", help="Where rejected rows go (default: <file>.rejects.csv beside it)"
        )
        parser.add_argument("--no-progress", action="store_true", help="Never show a progress bar")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            organisation = Organisation.objects.get(slug=options["organisation"])
        except Organisation.DoesNotExist as exc:
            raise CommandError(f"No organisation {options['organisation']!r}.") from exc
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        file_format = options["format"] or (
            "jsonl" if path.suffix in (".jsonl", ".ndjson") else "csv"
        )
        context = ImportContext(
            organisation=organisation,
            provenance=Provenance(
                source=Source.IMPORT,
                detail=f"{self.command_name()}: {path.name}",
                actor=os.environ.get("USER", "") or "manage.py",
            ),
            dry_run=options["dry_run"],
            file_name=path.name,
        )
        report_path = Path(options["report"] or f"{path}.rejects.csv")
        self.counts = Counter(created=0, updated=0, unchanged=0, rejected=0)
        self._report = _RejectReport(report_path)
        progress = tqdm(
            unit=" rows",
            disable=options["no_progress"] or not sys.stderr.isatty(),
            file=sys.stderr,
            desc=path.name,
        )
        self._strict = options["strict"]
        whole_file_transaction = options["dry_run"] or options["strict"]
        try:
            with path.open(encoding="utf-8-sig", newline="") as stream:
                run = (stream, file_format, context, options["batch_size"], progress)
                if whole_file_transaction:
                    with transaction.atomic():
                        self._run(*run)
                        if options["dry_run"]:
                            transaction.set_rollback(True)
                else:
                    self._run(*run)
        except _StrictAbort as exc:
            raise CommandError(f"{exc} Nothing was imported (--strict).") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text: {exc}") from exc
        finally:
            progress.close()
            self._report.close()
        self._print_summary(context, report_path)

    def command_name(self) -> str:
        return self.__class__.__module__.rsplit(".", 1)[-1]

    def reject_later(self, item, reason: str) -> None:
        """Reject an item of the current batch from inside apply_batch."""
        self._reject(self._current_records[id(item)], reason)

    def line_of(self, item) -> int:
        """The input line of an item of the current batch (for messages such as "see line 7")."""
        return self._current_records[id(item)].line

    def _run(self, stream, file_format: str, context, batch_size: int, progress) -> None:
        if self.fingerprints:
            if file_format == "csv":
                raw = self._csv_row_batches(stream, context, batch_size)
            else:
                raw = self._fingerprinted_batches(
                    self._records(stream, file_format), context, batch_size
                )
            self._run_skipping_unchanged(raw, context, progress)
            return
        records = self._records(stream, file_format)
        batches = self._parsed_batches(records, context, batch_size)
        if self.parse_in_background:
            batches = _read_ahead(batches)
        for parsed, rejections in batches:
            # Rejections are reported here, in the main thread, in line order within a batch.
            for record, reason in rejections:
                self._reject(record, reason)
            if parsed:
                self._apply(parsed, context)
            progress.update(len(parsed) + len(rejections))

    def _run_skipping_unchanged(self, batches: Iterator, context, progress) -> None:
        """Batch N: read and fingerprinted in the reader thread; its known unchanged records
        found in one query (this thread, this transaction); the rest parsed in the parser thread
        while batch N-1 is written here.

        Batch N's query ran before batch N-1 was written, so its stubs whose key batch N-1 wrote
        are parsed here after all (`written_key`).
        """
        self._written: set = set()
        raw = _read_ahead(batches)
        with closing(raw), ThreadPoolExecutor(1, thread_name_prefix="import-parse") as parser:
            pending = None
            for batch in raw:
                if isinstance(batch, _RowBatch):
                    changed = self._changed_rows(batch, context)
                    future = (
                        parser.submit(self._parse_rows, batch, changed, context)
                        if changed
                        else None
                    )
                    step = (self._finish_rows, batch, changed, future)
                else:
                    found = [item for item in batch if isinstance(item, Record)]
                    known = self._known_unchanged(found, context)
                    to_parse = [record for i, record in enumerate(found) if i not in known]
                    future = parser.submit(self._parse_all, to_parse, context) if to_parse else None
                    step = (self._finish, batch, found, known, future)
                if pending is not None:
                    pending[0](*pending[1:], context, progress)
                pending = step
            if pending is not None:
                pending[0](*pending[1:], context, progress)

    def _changed_rows(self, batch: "_RowBatch", context) -> list[int]:
        """Positions of the batch's records to parse: those without a fingerprint and those
        changed_positions names, asked first of a sample as in _known_unchanged."""
        fingerprints = batch.fingerprints
        if None in fingerprints:
            looked_up = [i for i, fingerprint in enumerate(fingerprints) if fingerprint is not None]
            found = self._changed_positions([fingerprints[i] for i in looked_up], context)
            changed = set(range(len(fingerprints))).difference(looked_up)
            return sorted(changed.union(looked_up[position] for position in found))
        return self._changed_positions(fingerprints, context)

    def _changed_positions(self, fingerprints: list, context) -> list[int]:
        sample = self.changed_positions(fingerprints[:UNCHANGED_SAMPLE], context)
        if len(fingerprints) <= UNCHANGED_SAMPLE:
            return sample
        if len(sample) == UNCHANGED_SAMPLE:  # none known: a first import, new customers
            return list(range(len(fingerprints)))
        rest = self.changed_positions(fingerprints[UNCHANGED_SAMPLE:], context)
        return sample + [position + UNCHANGED_SAMPLE for position in rest]

    def _parse_rows(self, batch: "_RowBatch", changed: list[int], context) -> tuple[list, list]:
        return self._parse_all([batch.record(i) for i in changed], context)

    def _finish_rows(self, batch: "_RowBatch", changed, future, context, progress) -> None:
        """A batch of CSV rows: counted unchanged at once if every record is known unchanged and
        none can affect another (distinct keys, none written by the previous batch, and
        `unchanged_rows_apart`); otherwise finished record by record as in _finish."""
        count = len(batch.rows)
        if not changed:
            keys = [key for key, _ in batch.fingerprints]
            written = self._written
            if (
                (not written or (None not in written and written.isdisjoint(keys)))
                and len(set(keys)) == count
                and self.unchanged_rows_apart(batch.header, batch.rows, context)
            ):
                for rejection in batch.rejections:  # read in line order
                    self._reject(rejection.record, rejection.reason)
                self.counts["unchanged"] += count
                self._written = set()
                progress.update(count + len(batch.rejections))
                return
        parse = set(changed)
        found = {i: batch.record(i) for i in range(count) if i not in parse}
        known = {i: self.unchanged_stub(record, context) for i, record in found.items()}
        self._finish(batch.rejections, found, known, future, context, progress)

    def _known_unchanged(self, found: list[Record], context) -> dict:
        """known_unchanged of a batch, asked first of a sample: a batch whose sample has no known
        record (a first import, new customers) is parsed whole without looking up the rest.
        Parsing a record is always right; skipping it is only an optimisation."""
        known = self.known_unchanged(found[:UNCHANGED_SAMPLE], context)
        if known and len(found) > UNCHANGED_SAMPLE:
            rest = self.known_unchanged(found[UNCHANGED_SAMPLE:], context)
            known.update((i + UNCHANGED_SAMPLE, stub) for i, stub in rest.items())
        return known

    def _fingerprinted_batches(self, records: Iterator, context, batch_size: int) -> Iterator:
        batch: list = []
        taken = 0
        for record in records:
            if isinstance(record, Record):
                record.fingerprint = self.fingerprint(record.data, context)
                taken += 1
            batch.append(record)
            if taken >= batch_size:
                yield batch
                batch, taken = [], 0
        if batch:
            yield batch

    def _parse_all(self, records: list[Record], context) -> tuple[list, list]:
        parsed, rejections = [], []
        for record in records:
            try:
                item = self.parse_record(record.data, context)
            except RowRejected as exc:
                rejections.append((record, str(exc)))
                continue
            item.fingerprint = record.fingerprint
            parsed.append((record, item))
        return parsed, rejections

    def _finish(self, batch, found, known, future, context, progress) -> None:
        parsed, rejections = future.result() if future is not None else ([], [])
        written = self._written
        stale = (
            [i for i, stub in known.items() if None in written or self.written_key(stub) in written]
            if written
            else []
        )
        if stale:
            more_parsed, more_rejections = self._parse_all([found[i] for i in stale], context)
            parsed, rejections = parsed + more_parsed, rejections + more_rejections
            known = {i: stub for i, stub in known.items() if i not in set(stale)}
        rejections += [(item.record, item.reason) for item in batch if isinstance(item, _Rejection)]
        # Rejections are reported in line order within a batch; items go in line order too (a
        # later line for the same customer wins).
        for record, reason in sorted(rejections, key=lambda pair: pair[0].line):
            self._reject(record, reason)
        items = sorted(
            parsed + [(found[i], stub) for i, stub in known.items()],
            key=lambda pair: pair[0].line,
        )
        if items:
            self._apply(items, context)
        self._written = {self.written_key(item) for _, item in parsed}
        progress.update(len(items) + len(rejections))

    def _parsed_batches(self, records: Iterator, context, batch_size: int) -> Iterator:
        """(parsed (record, item) pairs, (record, reason) rejections) per batch. No side effects."""
        batch: list = []
        rejections: list = []
        for record in records:
            if isinstance(record, _Rejection):
                rejections.append((record.record, record.reason))
                continue
            try:
                item = self.parse_record(record.data, context)
            except RowRejected as exc:
                rejections.append((record, str(exc)))
                continue
            batch.append((record, item))
            if len(batch) >= batch_size:
                yield batch, rejections
                batch, rejections = [], []
        if batch or rejections:
            yield batch, rejections

    def _apply(self, batch, context) -> None:
        self._current_records = {id(item): record for record, item in batch}
        with transaction.atomic():
            counts = self.apply_batch([item for _, item in batch], context)
        self.counts.update(counts)
        if not connection.force_debug_cursor:
            # With DEBUG on, Django keeps the last 9,000 statements' text, batches included:
            # ~300 MB over a 2,000,000-row import. A query count in progress keeps its log.
            reset_queries()

    def _reject(self, record: Record, reason: str) -> None:
        self.counts["rejected"] += 1
        self._report.write(record, reason)
        if self._strict:
            raise _StrictAbort(f"Line {record.line}: {reason}")

    def _records(self, stream, file_format: str) -> Iterator:
        """Records of the file, and _Rejection for those that are not records at all."""
        if file_format == "jsonl":
            yield from self._jsonl_records(stream)
        else:
            yield from self._csv_records(stream)

    def _csv_header(self, reader) -> list[str]:
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration as exc:
            raise CommandError("The file is empty: a header row is needed.") from exc
        self._check_columns(header)
        return header

    def _csv_records(self, stream) -> Iterator[Record]:
        reader = csv.reader(stream)
        yield from self._csv_rows(reader, self._csv_header(reader))

    def _csv_rows(self, reader, header: list[str]) -> Iterator[Record]:
        width = len(header)
        for row in reader:
            if len(row) != width:
                if any(cell.strip() for cell in row):
                    yield _width_rejection(reader.line_num, row, width)
                continue
            # The hot loop of every import: CSV cells are always text, so blanks are cheap to drop.
            cells = zip(header, row, strict=True)
            data = {name: cell for name, cell in cells if cell and not cell.isspace()}
            if data:
                yield Record(reader.line_num, data)

    def _csv_row_batches(self, stream, context, batch_size: int) -> Iterator:
        """Batches of CSV rows fingerprinted by `row_fingerprinter` (_RowBatch), without a dict
        per record; or, for a command (or header) without one, batches of records as in
        _fingerprinted_batches."""
        reader = csv.reader(stream)
        header = self._csv_header(reader)
        fingerprint = None
        if len(set(header)) == len(header):  # a repeated column: the dict keeps the last cell
            fingerprint = self.row_fingerprinter(header, context)
        if fingerprint is None:
            yield from self._fingerprinted_batches(
                self._csv_rows(reader, header), context, batch_size
            )
            return
        width = len(header)
        batch = _RowBatch(header)
        lines, rows = batch.lines, batch.rows
        # The hot loop of a re-run: a row found unchanged costs its cells and its fingerprint.
        for row in reader:
            if len(row) != width:
                if any(cell.strip() for cell in row):
                    batch.rejections.append(_width_rejection(reader.line_num, row, width))
                continue
            lines.append(reader.line_num)
            rows.append(row)
            if len(rows) >= batch_size:
                yield batch.fingerprinted(fingerprint)
                batch = _RowBatch(header)
                lines, rows = batch.lines, batch.rows
        if rows or batch.rejections:
            yield batch.fingerprinted(fingerprint)

    def _jsonl_records(self, stream) -> Iterator[Record]:
        for line, text in enumerate(stream, start=1):
            if not text.strip():
                continue
            try:
                data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
            except json.JSONDecodeError as exc:
                yield _Rejection(Record(line, {"raw": text.strip()}), f"Invalid JSON: {exc.msg}.")
                continue
            except _NotJson as exc:
                yield _Rejection(Record(line, {"raw": text.strip()}), f"Invalid JSON: {exc}.")
                continue
            if not isinstance(data, dict):
                yield _Rejection(Record(line, {"raw": text.strip()}), "Expected a JSON object.")
                continue
            unknown = self._unknown_columns(data.keys())
            if unknown:
                yield _Rejection(Record(line, data), f"Unknown keys: {', '.join(unknown)}.")
                continue
            yield Record(line, _without_blanks(data.items()))

    def _check_columns(self, header: list[str]) -> None:
        missing = [name for name in self.required_columns if name not in header]
        if missing:
            raise CommandError(f"Missing required column(s): {', '.join(missing)}.")
        unknown = self._unknown_columns(header)
        if unknown:
            raise CommandError(
                f"Unknown column(s): {', '.join(unknown)}. Known: {', '.join(self.columns)}."
            )

    def _unknown_columns(self, names: Iterable[str]) -> list[str]:
        if self.extra_columns_allowed:
            return []
        return [name for name in names if name not in self.columns]

    def _print_summary(self, context: ImportContext, report_path: Path) -> None:
        c = self.counts
        prefix = "Dry run, nothing written: would have " if context.dry_run else ""
        self.stdout.write(
            f"{prefix}created {c['created']}, updated {c['updated']}, "
            f"unchanged {c['unchanged']}, rejected {c['rejected']}."
        )
        if c["rejected"]:
            self.stdout.write(f"Rejected rows with line numbers and reasons: {report_path}")


def _width_rejection(line: int, row: list[str], width: int) -> _Rejection:
    return _Rejection(
        Record(line, dict(enumerate(row))), f"Expected {width} columns, found {len(row)}."
    )


@dataclass
class _RowBatch:
    """CSV rows read and fingerprinted in the reader thread; a row becomes a Record (with its
    dict) only when it has to be parsed."""

    header: list[str]
    lines: list[int] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    fingerprints: list[tuple | None] = field(default_factory=list)
    # Rows the reader refused (wrong number of cells), in line order.
    rejections: list[_Rejection] = field(default_factory=list)

    def fingerprinted(self, fingerprint) -> "_RowBatch":
        """Fingerprints every row; drops rows without a fingerprint and without any cell (as
        _csv_rows skips blank rows)."""
        self.fingerprints = fingerprints = list(map(fingerprint, self.rows))
        if None in fingerprints:
            keep = [
                i
                for i, (found, row) in enumerate(zip(fingerprints, self.rows, strict=True))
                if found is not None or any(cell and not cell.isspace() for cell in row)
            ]
            if len(keep) < len(self.rows):
                self.lines = [self.lines[i] for i in keep]
                self.rows = [self.rows[i] for i in keep]
                self.fingerprints = [fingerprints[i] for i in keep]
        return self

    def record(self, i: int) -> Record:
        # As _csv_rows builds it: blank cells are not given.
        cells = zip(self.header, self.rows[i], strict=True)
        data = {name: cell for name, cell in cells if cell and not cell.isspace()}
        return Record(self.lines[i], data, self.fingerprints[i])


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str):
    """Python's json module reads NaN, Infinity and -Infinity; JSON (RFC 8259) has no such
    numbers, and neither has PostgreSQL's jsonb, which would refuse the whole batch."""
    raise _NotJson(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    """A JSON number as a float, unless too large for one (1e400 would be read as infinity)."""
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"{text} is too large a number")
    return value


def _without_blanks(pairs) -> dict:
    """Blank cells mean "not given"."""
    return {
        key: value
        for key, value in pairs
        if value is not None and not (isinstance(value, str) and not value.strip())
    }


class _RejectReport:
    """Rejected records, written as they happen (constant memory), opened on first use."""

    def __init__(self, path: Path):
        self.path = path
        self._file = None
        self._writer = None

    def write(self, record: Record, reason: str) -> None:
        if self._writer is None:
            self._file = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(["line", "reason", "record"])
        self._writer.writerow(
            [record.line, reason, json.dumps(record.data, ensure_ascii=False, default=str)]
        )

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
