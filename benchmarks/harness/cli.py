"""The options every benchmark script has, and counts that shrink with --quick.

Why: --quick (a smoke run with small counts that writes nothing), --wait-for-idle, --output and --no-write
mean the same in every script; a count given explicitly wins over the --quick one.
Usage: parser = BenchParser("load.py", __doc__); parser.scaled("--requests", "200,400,400,600", "20,20", "...")
       args = parser.parse_args()  # args.command is the command line for the report header
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from .report import PERFORMANCE_DOC


def ints(text: str) -> list[int]:
    """"1,8,32" -> [1, 8, 32] (underscores allowed: 1_000_000)."""
    return [int(x.replace("_", "")) for x in str(text).split(",") if x.strip()]


def command_line(script: str, argv: list[str]) -> str:
    """How this run was started, as the report header shows it (with the nice level if not 0)."""
    command = shlex.join(["python", f"benchmarks/{script}", *argv])
    return f"nice -n {os.nice(0)} {command}" if os.nice(0) else command


class BenchParser(argparse.ArgumentParser):
    def __init__(self, script: str, doc: str) -> None:
        super().__init__(description=doc.split("\n\n")[0], epilog=doc[doc.find("Usage:"):] if "Usage:" in doc else None,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
        self.script, self._scaled = script, {}
        self.add_argument("--quick", action="store_true", help="a smoke run with small counts; writes nothing")
        self.add_argument("--wait-for-idle", type=float, default=0, metavar="SECONDS",
                          help="before each measured part, wait up to this long for the CPUs to be < 10%% busy "
                               "over 10 s; 0 = do not wait (default: %(default)s)")
        self.add_argument("--output", default=PERFORMANCE_DOC, help="markdown file to update (default: docs/performance.md)")
        self.add_argument("--no-write", action="store_true", help="print the section, do not write the markdown file")

    def scaled(self, flag: str, full, quick, help: str, type=str) -> None:
        """An option whose default is `full`, or `quick` with --quick."""
        self.add_argument(flag, type=type, default=None, help=f"{help} (default: {full}; with --quick: {quick})")
        self._scaled[flag.lstrip("-").replace("-", "_")] = (full, quick)

    def parse_args(self, argv=None, namespace=None) -> argparse.Namespace:
        argv = sys.argv[1:] if argv is None else list(argv)
        args = super().parse_args(argv, namespace)
        for dest, (full, quick) in self._scaled.items():
            if getattr(args, dest) is None:
                setattr(args, dest, quick if args.quick else full)
        args.no_write = args.no_write or args.quick
        args.command = command_line(self.script, argv)
        return args
