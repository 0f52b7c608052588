"""What the compare scripts share: reading a run's JSON lines and formatting a table cell."""
import json
import os
import sys


def read_jsonl(directory, name, who):
    """The JSON objects of directory/name, one per line starting with '{'; malformed lines are reported by `who`."""
    rows = []
    with open(os.path.join(directory, name)) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    print(f"{who}: ignoring a malformed line in {name}: {line[:80]}", file=sys.stderr)
    return rows


def fmt(value, spec):
    """A table cell: '-' for a missing value."""
    return "-" if value is None else format(value, spec)
