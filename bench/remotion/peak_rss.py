"""Runs a command and prints the peak of its whole process tree's resident memory (the sum over
the command and every descendant, sampled every 50 ms) on stderr as `peak_rss_mb=…`."""

import os
import subprocess
import sys
import time


def tree_rss_kb(root):
    children, rss = {}, {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/status") as f:
                kb = next((int(l.split()[1]) for l in f if l.startswith("VmRSS:")), 0)
        except (OSError, StopIteration):
            continue
        children.setdefault(int(fields[1]), []).append(int(pid))
        rss[int(pid)] = kb
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


process = subprocess.Popen(sys.argv[1:])
peak = 0
while process.poll() is None:
    peak = max(peak, tree_rss_kb(process.pid))
    time.sleep(0.05)
print(f"peak_rss_mb={peak / 1024:.1f}", file=sys.stderr)
sys.exit(process.returncode)
