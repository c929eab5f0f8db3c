#!/usr/bin/env python3
"""Runs a command and records the peak memory of its whole process tree (for DurableTrainer: the CLI, the Azurite it
starts and the worker), sampled from /proc: the process tree and its RSS every 0.25 s (cheap counters), its PSS every
second (smaps_rollup walks every mapping, and costs a few per cent of a core at a faster pace). Two sums are kept: resident set size (RSS, what `ps` shows;
pages shared between the processes, such as libraries, count once per process) and proportional set size (PSS,
shared pages split between their users: what the tree really holds). The command's output passes through untouched.

Usage: peak_memory.py REPORT_FILE -- command [args...]
REPORT_FILE gets "rss_mib N", "pss_mib N", "median_rss_mib N" (the tree's RSS over the whole run: what it holds while
training, not at a moment of loading), "processes N" (the most seen at once), "by_process ..." at the RSS peak
and "cpu_seconds ..." (each process's user and system time when last seen, by command name).
"""
import os
import subprocess
import sys
import threading


def children_of():
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                # The command name is in parentheses and may hold spaces: the parent pid follows its last ")".
                fields = stat.read().rsplit(b")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError):
            continue
    return parents


def tree(root):
    parents = children_of()
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(parents.get(pid, []))
    return found


PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def name_of(pid):
    """The command name, or for dotnet the assembly it runs (the CLI and the worker are both "dotnet")."""
    with open(f"/proc/{pid}/comm") as comm:
        name = comm.read().strip()
    if name == "dotnet":
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            name = next((os.path.basename(arg.decode()) for arg in cmdline.read().split(b"\0") if arg.endswith(b".dll")), name)
    return name


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/statm") as statm:
            rss = int(statm.read().split()[1]) * PAGE_KIB
        return rss, name_of(pid)
    except (OSError, IndexError, ValueError):
        return None


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return None


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            return next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
    except OSError:
        return 0


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    report, command = sys.argv[1], sys.argv[3:]
    child = subprocess.Popen(command)
    peak = {"rss": 0, "pss": 0, "processes": 0, "by_process": ""}
    cpu = {}
    history = []
    done = threading.Event()

    def sample():
        count = 0
        while not done.is_set():
            seen = {pid: row for pid in tree(child.pid) if (row := rss_kib(pid)) is not None}
            rows = list(seen.values())
            rss = sum(row[0] for row in rows)
            history.append(rss)
            peak["processes"] = max(peak["processes"], len(rows))
            if rss > peak["rss"]:
                peak["rss"] = rss
                peak["by_process"] = ", ".join(f"{name} {r / 1024:.0f}" for r, name in sorted(rows, reverse=True) if r > 10240)
            if count % 4 == 0:
                peak["pss"] = max(peak["pss"], sum(pss_kib(pid) for pid in seen))
                for pid, (_, name) in seen.items():
                    if (used := cpu_seconds(pid)) is not None:
                        cpu[pid] = (name, used)
            count += 1
            done.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = child.wait()
    done.set()
    sampler.join()
    with open(report, "w") as out:
        typical = sorted(history)[len(history) // 2] if history else 0
        out.write(f"rss_mib {peak['rss'] / 1024:.0f}\npss_mib {peak['pss'] / 1024:.0f}\nmedian_rss_mib {typical / 1024:.0f}\nprocesses {peak['processes']}\nby_process {peak['by_process']}\n")
        by_name = {}
        for name, used in cpu.values():
            by_name[name] = by_name.get(name, 0.0) + used
        out.write("cpu_seconds " + ", ".join(f"{name} {used:.1f}" for name, used in sorted(by_name.items(), key=lambda item: -item[1])) + "\n")
    sys.exit(code)


if __name__ == "__main__":
    main()
