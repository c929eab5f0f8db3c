"""An independent reference for the sweep's ASHA decisions, for the domain tests.

Reads a JSON job (learning curves, rungs, reduction factor, slots, planned steps) from the file named by argv[1] and
prints each trial's end as JSON. The rung rule is Ray Tune's AsyncHyperBandScheduler with one bracket (the cut-off is
numpy's nanpercentile at (1 - 1/eta) * 100 of the values recorded at the rung before this trial; a trial goes on
unless its value is below it). Trials are scheduled on `slots` workers that each train one step per unit of virtual
time, reports taken in order of (virtual time, issue order).
"""
import heapq
import json
import sys

import numpy as np

job = json.load(open(sys.argv[1]))
curves = [{point["step"]: point["accuracy"] for point in curve} for curve in job["curves"]]
rungs, eta, slots, planned = job["rungs"], job["eta"], job["slots"], job["planned"]
recorded = {rung: {} for rung in rungs}
ends = [None] * len(curves)
events = []
issued = 0
next_trial = 0


def issue(trial, start_time, from_step, to_step):
    global issued
    heapq.heappush(events, (start_time + (to_step - from_step), issued, trial, to_step))
    issued += 1


def start_next(time):
    global next_trial
    if next_trial < len(curves):
        issue(next_trial, time, 0, rungs[0] if rungs else planned)
        next_trial += 1


def on_result(trial, step, reward):
    # Ray's _Bracket.on_result: the highest milestone reached and not yet recorded for this trial.
    for milestone in sorted(rungs, reverse=True):
        if step < milestone or trial in recorded[milestone]:
            continue
        values = list(recorded[milestone].values())
        cutoff = np.nanpercentile(values, (1 - 1 / eta) * 100) if values else None
        recorded[milestone][trial] = reward
        return not (cutoff is not None and reward < cutoff)
    return True


for _ in range(slots):
    start_next(0)
while events:
    time, _, trial, step = heapq.heappop(events)
    if step >= planned:
        ends[trial] = {"status": "Completed", "steps": step}
        start_next(time)
    elif on_result(trial, step, curves[trial][step]):
        later = [rung for rung in rungs if rung > step]
        issue(trial, time, step, later[0] if later else planned)
    else:
        ends[trial] = {"status": "Stopped", "steps": step}
        start_next(time)
print(json.dumps(ends))
