"""Where a machine's CPU time went while a run trained: a system-wide perf sample taken every 5 ms of CPU time
(`perf record -a -e cpu-clock -c 5000000`), read back with `perf script` and grouped by who ran. Prints one markdown
row: the label, then each group's share of all the cores' time from the first sample to the last.

Usage: cpu_profile.py LABEL PERF_DATA AZURITE_PID WORKER_PID...

A sample stands for 5 ms of a task's CPU time; a core that sleeps takes none, so idle is what the tasks leave of
cores x the span (the idle task's own samples are not counted).

Groups:
  training     the workers' tensor threads (named "tensor work N": chunks, merges, evaluations) and the OpenMP
               helpers libtorch starts from them (named after the thread that started them)
  worker rest  the workers' other threads: the durable engine's queue polling and episodes, HTTP, JIT, GC
  Azurite      the storage emulator (node)
  idle         no task on the core (the kernel's idle task, pid 0)
  other        everything else: the dtrain client polling the status, perf itself, the system
"""
import collections
import os
import subprocess
import sys

SAMPLE_SECONDS = 0.005
GROUPS = ["training", "worker rest", "Azurite", "idle", "other"]


def main():
    label, data, azurite = sys.argv[1], sys.argv[2], int(sys.argv[3])
    workers = {int(pid) for pid in sys.argv[4:]}
    lines = subprocess.run(
        ["perf", "script", "-i", data, "-F", "pid,comm,time"], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    counts = collections.Counter()
    times = []
    for line in lines:
        # "  comm with spaces  pid  seconds:"; comm may hold spaces, so read from the right.
        fields = line.rsplit(None, 2)
        if len(fields) != 3 or not fields[1].isdigit():
            continue
        comm, pid = fields[0].strip(), int(fields[1])
        times.append(float(fields[2].rstrip(":")))
        if pid == 0:
            continue
        if pid in workers:
            counts["training" if comm.startswith("tensor work") else "worker rest"] += 1
        elif pid == azurite:
            counts["Azurite"] += 1
        else:
            counts["other"] += 1
    capacity = (max(times) - min(times)) * os.cpu_count() / SAMPLE_SECONDS if len(times) > 1 else 1
    counts["idle"] = max(0.0, capacity - sum(counts.values()))
    print("| " + label + " | " + " | ".join(f"{100 * counts[group] / capacity:.1f} %" for group in GROUPS) + " |")


if __name__ == "__main__":
    main()
