#!/usr/bin/env python3
"""Check a run directory's TensorBoard event file against its metrics.csv.

Usage:
    check_tfevents.py RUN_DIR                  # full check, exit 0 = pass, 1 = fail
    check_tfevents.py --count-records FILE     # strict read of one event file; prints the record count

Needs the `tensorboard` package (no TensorFlow): python3 -m venv /tmp/tbvenv && /tmp/tbvenv/bin/pip install tensorboard

Checks for RUN_DIR:
  1. RUN_DIR holds exactly one `events.out.tfevents.*` file.
  2. Strict read: every record's framing and both masked CRC32Cs are verified with
     tensorboard's PyRecordReader_New (raises DataLossError on a bad CRC or truncation;
     EventAccumulator would silently stop at the first bad record), and the first
     record is the `brain.Event:2` file_version event.
  3. The file is loaded with EventAccumulator(size_guidance={"scalars": 0}) (all scalars kept)
     and its scalar count equals the number of simple_value scalars found by the strict read.
  4. metrics.csv (header row; one row per (epoch, split)): for every row and every numeric
     column other than `epoch` (and the text column `split`) there is exactly one scalar
     tagged `epoch/<split>/<column>` at step = epoch whose value equals the CSV value to
     float32 rounding (equal after rounding to f32, or within 1e-6 relative; NaN matches NaN).
     A column is numeric when all its non-empty cells parse as numbers; an empty cell
     means "no scalar expected". The number of `epoch/...` scalars in the file must equal
     the number of numeric cells checked (rows x numeric columns when there are no blanks).
     A run that has `valid` rows ends with one `test` row, the kept weights tested once after
     training: it is in metrics.csv only, and is not checked here.
  5. Per-step scalars (tags `<split>/...` for each split in metrics.csv, e.g. `train/loss`)
     must all be finite. If RUN_DIR/expected_steps.json exists it maps tag -> either an
     int (exact number of scalars with that tag) or a list of ints (exact multiset of their
     steps); every listed tag must be present and match.
"""

import argparse
import csv
import glob
import json
import math
import os
import struct
import sys

EVENT_GLOB = "events.out.tfevents.*"
MAX_REPORTED = 30


class CheckError(Exception):
    """A failed check; the message says what and where."""


def import_tensorboard():
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        from tensorboard.compat.proto import event_pb2
        from tensorboard.compat.tensorflow_stub import errors, pywrap_tensorflow
    except ImportError as e:  # pragma: no cover - environment problem
        raise CheckError(
            f"cannot import tensorboard ({e}); install it: "
            "python3 -m venv /tmp/tbvenv && /tmp/tbvenv/bin/pip install tensorboard"
        ) from e
    return EventAccumulator, event_pb2, errors, pywrap_tensorflow


def find_event_file(run_dir):
    files = sorted(glob.glob(os.path.join(glob.escape(run_dir), EVENT_GLOB)))
    files = [f for f in files if os.path.isfile(f)]
    if len(files) != 1:
        raise CheckError(
            f"{run_dir}: expected exactly one {EVENT_GLOB} file, found {len(files)}: "
            + ", ".join(os.path.basename(f) for f in files)
        )
    return files[0]


def strict_read_records(path):
    """All records of `path`, CRCs verified; raises CheckError on DataLossError."""
    _, _, errors, pw = import_tensorboard()
    try:
        reader = pw.PyRecordReader_New(path)
    except errors.OpError as e:
        raise CheckError(f"{path}: cannot open: {e.message}") from e
    records = []
    while True:
        try:
            reader.GetNext()
        except errors.OutOfRangeError:
            return records
        except errors.DataLossError as e:
            raise CheckError(
                f"{path}: strict read failed at record {len(records)}: DataLossError: {e.message}"
            ) from e
        records.append(reader.record())


def parse_events(path, records):
    _, event_pb2, _, _ = import_tensorboard()
    events = []
    for i, rec in enumerate(records):
        ev = event_pb2.Event()
        try:
            ev.ParseFromString(rec)
        except Exception as e:  # protobuf's DecodeError
            raise CheckError(f"{path}: record {i} is not a valid Event protobuf: {e}") from e
        events.append(ev)
    if not events or events[0].file_version != "brain.Event:2":
        got = events[0].file_version if events else "(no records)"
        raise CheckError(f"{path}: first record must have file_version 'brain.Event:2', got {got!r}")
    return events


def load_scalars(path):
    """tag -> [(step, value), ...] in file order, via EventAccumulator (keeps all scalars)."""
    EventAccumulator, _, _, _ = import_tensorboard()
    acc = EventAccumulator(path, size_guidance={"scalars": 0}, purge_orphaned_data=False)
    acc.Reload()
    tags = acc.Tags()
    scalars = {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in tags["scalars"]}
    return scalars, list(tags.get("images", []))


def parse_number(text):
    try:
        return float(text)
    except ValueError:
        return None


def read_metrics(csv_path):
    """Returns (rows, numeric_columns, ignored_columns); rows are dicts of raw strings."""
    if not os.path.isfile(csv_path):
        raise CheckError(f"{csv_path}: missing")
    with open(csv_path, newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        rows = [{k: (v or "").strip() for k, v in row.items()} for row in reader]
    for col in ("epoch", "split"):
        if col not in header:
            raise CheckError(f"{csv_path}: header has no {col!r} column: {header}")
    if any(r["split"] == "valid" for r in rows):
        rows = [r for r in rows if r["split"] != "test"]
    if not rows:
        raise CheckError(f"{csv_path}: no data rows")
    numeric, ignored = [], []
    for col in header:
        if col in ("epoch", "split"):
            continue
        cells = [r[col] for r in rows if r.get(col, "") != ""]
        if cells and all(parse_number(c) is not None for c in cells):
            numeric.append(col)
        else:
            ignored.append(col)
    if not numeric:
        raise CheckError(f"{csv_path}: no numeric columns besides 'epoch'")
    return rows, numeric, ignored


def f32(x):
    """x rounded to the nearest float32 (unchanged if out of float32 range)."""
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return x


def same_value(csv_value, tb_value):
    if math.isnan(csv_value) or math.isnan(tb_value):
        return math.isnan(csv_value) and math.isnan(tb_value)
    return tb_value == f32(csv_value) or math.isclose(tb_value, csv_value, rel_tol=1e-6, abs_tol=0.0)


def check_epoch_scalars(csv_path, rows, numeric, scalars, failures):
    seen_keys = set()
    checked = 0
    for line, row in enumerate(rows, start=2):
        split = row["split"]
        try:
            epoch = int(row["epoch"])
        except ValueError:
            failures.append(f"{csv_path}:{line}: epoch {row['epoch']!r} is not an integer")
            continue
        if not split:
            failures.append(f"{csv_path}:{line}: empty split")
            continue
        if (epoch, split) in seen_keys:
            failures.append(f"{csv_path}:{line}: duplicate row for epoch {epoch}, split {split!r}")
        seen_keys.add((epoch, split))
        for col in numeric:
            if row.get(col, "") == "":
                continue
            want = float(row[col])
            tag = f"epoch/{split}/{col}"
            checked += 1
            at_step = [v for s, v in scalars.get(tag, []) if s == epoch]
            if len(at_step) != 1:
                failures.append(f"{tag} at step {epoch}: expected exactly 1 scalar, found {len(at_step)}")
            elif not same_value(want, at_step[0]):
                failures.append(f"{tag} at step {epoch}: event value {at_step[0]!r} != CSV value {row[col]}")
    n_epoch = sum(len(v) for t, v in scalars.items() if t.startswith("epoch/"))
    if n_epoch != checked:
        extra = sorted(t for t in scalars if t.startswith("epoch/"))
        failures.append(
            f"number of epoch/... scalars in the file is {n_epoch}, expected {checked} "
            f"(one per numeric CSV cell); epoch tags: {extra}"
        )
    return checked, n_epoch


def check_step_scalars(run_dir, splits, scalars, failures):
    step_tags = sorted(t for t in scalars if any(t.startswith(f"{s}/") for s in splits))
    for tag in step_tags:
        bad = [(s, v) for s, v in scalars[tag] if not math.isfinite(v)]
        if bad:
            failures.append(f"{tag}: {len(bad)} non-finite value(s), first at step {bad[0][0]}: {bad[0][1]}")
    exp_path = os.path.join(run_dir, "expected_steps.json")
    if os.path.isfile(exp_path):
        with open(exp_path) as f:
            expected = json.load(f)
        if not isinstance(expected, dict):
            raise CheckError(f"{exp_path}: must be a JSON object mapping tag -> count or list of steps")
        for tag, spec in sorted(expected.items()):
            steps = sorted(s for s, _ in scalars.get(tag, []))
            if isinstance(spec, bool) or not isinstance(spec, (int, list)):
                failures.append(f"{exp_path}: {tag}: spec must be an int or a list of ints, got {spec!r}")
            elif isinstance(spec, int) and len(steps) != spec:
                failures.append(f"{tag}: expected {spec} scalars, found {len(steps)}")
            elif isinstance(spec, list) and steps != sorted(spec):
                failures.append(f"{tag}: steps {steps[:10]}... (n={len(steps)}) != expected (n={len(spec)})")
    return step_tags, os.path.isfile(exp_path)


def check_run_dir(run_dir):
    path = find_event_file(run_dir)
    records = strict_read_records(path)
    events = parse_events(path, records)
    n_simple = sum(1 for e in events for v in e.summary.value if v.HasField("simple_value"))
    scalars, image_tags = load_scalars(path)
    failures = []
    n_loaded = sum(len(v) for v in scalars.values())
    if n_loaded != n_simple:
        failures.append(f"EventAccumulator loaded {n_loaded} scalars but the file holds {n_simple}")

    csv_path = os.path.join(run_dir, "metrics.csv")
    rows, numeric, ignored = read_metrics(csv_path)
    checked, n_epoch = check_epoch_scalars(csv_path, rows, numeric, scalars, failures)
    splits = sorted({r["split"] for r in rows if r["split"]})
    step_tags, had_expected = check_step_scalars(run_dir, splits, scalars, failures)
    other = sorted(t for t in scalars if not t.startswith("epoch/") and t not in step_tags)

    print(f"event file: {path}")
    print(f"  records: {len(records)} (CRCs verified), scalars: {n_simple}, image tags: {len(image_tags)}")
    print(f"metrics.csv: {len(rows)} rows, splits {splits}, {len(numeric)} numeric columns: {', '.join(numeric)}")
    if ignored:
        print(f"  non-numeric columns ignored: {', '.join(ignored)}")
    print(f"epoch scalars: {n_epoch} in file, {checked} CSV cells checked")
    for tag in step_tags:
        s = [st for st, _ in scalars[tag]]
        print(f"  per-step {tag}: {len(s)} scalars, steps {min(s)}..{max(s)}")
    print(f"  expected_steps.json: {'checked' if had_expected else 'absent (finite check only)'}")
    if other:
        print(f"  other scalar tags (not checked): {', '.join(other)}")
    return failures


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("run_dir", nargs="?", help="run directory with one events file and metrics.csv")
    g.add_argument("--count-records", metavar="FILE", help="strictly read FILE and print its record count")
    args = ap.parse_args(argv)
    try:
        if args.count_records:
            print(len(strict_read_records(args.count_records)))
            return 0
        failures = check_run_dir(args.run_dir)
    except CheckError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    if failures:
        for f in failures[:MAX_REPORTED]:
            print(f"FAIL: {f}", file=sys.stderr)
        if len(failures) > MAX_REPORTED:
            print(f"FAIL: ... and {len(failures) - MAX_REPORTED} more", file=sys.stderr)
        print(f"check_tfevents: {len(failures)} failure(s) in {args.run_dir}", file=sys.stderr)
        return 1
    print(f"check_tfevents: OK ({args.run_dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
