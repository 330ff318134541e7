"""Freeze the current schema as a release: copy it to schemas/releases/ and record its hash.

Refuses (exit 1) when the review of the newest release against the current schema fails, when the
version is already released, or when CHANGELOG.md has no entry for it; exit 2 for usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kpi_contract.errors import KpiContractError
from kpi_contract.review.loading import load_schema_file
from kpi_contract.review.releases import (
    current_files,
    default_pair,
    display,
    freeze,
    release_files,
)
from kpi_contract.review.review import review_pair

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(ROOT), help="repository root (default: this one)")
    root = Path(parser.parse_args(argv).root)
    try:
        if release_files(root) and current_files(root):
            old_path, new_path = default_pair(root)
            result = review_pair(load_schema_file(old_path, display(old_path, root)),
                                 load_schema_file(new_path, display(new_path, root)))
            if not result.ok:
                for problem in result.problems + result.tool_errors:
                    print(f"freeze refused: {problem}", file=sys.stderr)
                return 1
        _family, current = current_files(root)[-1]
        version = load_schema_file(current, display(current, root)).version
        changelog = root / "CHANGELOG.md"
        if not changelog.is_file() or f"## [{version}]" not in changelog.read_text("utf-8"):
            print(f"freeze refused: CHANGELOG.md has no '## [{version}]' entry", file=sys.stderr)
            return 1
        release = freeze(root)
    except (KpiContractError, IndexError) as exc:
        print(exc if isinstance(exc, KpiContractError) else "no schemas/kpis_vN.schema.json",
              file=sys.stderr)
        return 2
    print(f"froze {display(release.path, root)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
