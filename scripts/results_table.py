#!/usr/bin/env python
"""The compression results table (docs/compression_results.md + .json) from the applications' runs.

    python scripts/results_table.py [--run] [--quick] [--build DIR] [-o docs/compression_results] [--readme README.md]

Reads ``DIR/<app>/results.json`` for pulse_mlp, moth_cnn and vgg_student (default
``build/compress``, where the application scripts write); ``--run`` runs the applications
first (each one end to end, one after the other), ``--quick`` their quick modes.  Writes the
table as Markdown and JSON, and the README's results section between its markers (the full
runs of all three applications only: a quick or partial table never goes into the README).
"""

import argparse
import subprocess
import sys
from pathlib import Path

APPS = ("pulse_mlp", "moth_cnn", "vgg_student")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", action="store_true", help="run the applications first")
    p.add_argument("--quick", action="store_true", help="with --run: their quick modes")
    p.add_argument("--build", default="build/compress", help="folder holding <app>/results.json")
    p.add_argument("--apps", nargs="*", default=list(APPS), choices=APPS)
    p.add_argument("-o", "--output", default="docs/compression_results", help="output path without suffix")
    p.add_argument("--readme", default=str(Path(__file__).resolve().parent.parent / "README.md"),
                   help="README whose compression section to rewrite (default: the repository's); '' for none")
    args = p.parse_args(argv)
    here = Path(__file__).resolve().parent
    build = Path(args.build)
    files = []
    for app in args.apps:
        out = build / (app + ("_quick" if args.quick else ""))
        if args.run:
            cmd = [sys.executable, str(here / f"{app}.py"), "-o", str(out)] + (["--quick"] if args.quick else [])
            subprocess.run(cmd, check=True)
        f = out / "results.json"
        if not f.is_file():
            print(f"results_table: {f} is missing: run `python scripts/{app}.py -o {out}` first (or --run)",
                  file=sys.stderr)
            return 2
        files.append(f)
    from rtlnn.compress.table import write_table

    command = "python scripts/results_table.py" + (" --run" if args.run else "") + (" --quick" if args.quick else "")
    if list(args.apps) != list(APPS):
        command += " --apps " + " ".join(args.apps)
    runs = [f"python scripts/{app}.py{' --quick' if args.quick else ''} -o {build / (app + ('_quick' if args.quick else ''))}"
            for app in args.apps]
    rows = write_table(files, args.output, command=command, runs=runs)
    print(Path(args.output).with_suffix(".md").read_text())
    if args.readme and not args.quick and list(args.apps) == list(APPS):
        from rtlnn.compress.table import readme_block, update_readme

        details = Path(args.output).with_suffix(".md").as_posix()
        if update_readme(args.readme, readme_block(rows, command, details)):
            print(f"results_table: wrote the compression section of {args.readme}")
        else:
            print(f"results_table: {args.readme} has no compression-table markers; left as it is", file=sys.stderr)
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
