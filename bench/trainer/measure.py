#!/usr/bin/python3
"""Run a command; print its wall seconds and peak RSS (KiB) as JSON on stderr-free stdout.

Usage: measure.py OUT.json CMD [ARGS...]   (the command's stdout/stderr pass through)
"""
import json
import os
import subprocess
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
proc = subprocess.Popen(cmd)
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - start
code = os.waitstatus_to_exitcode(status)
with open(out, "w") as fh:
    json.dump({"wall_seconds": wall, "max_rss_kb": usage.ru_maxrss, "exit": code}, fh)
sys.exit(code)
