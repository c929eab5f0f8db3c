"""Splits a finished run's time into what the durable engine spent where, from its status with history
(GET .../instances/{id}?showHistory=true&showHistoryOutput=true), the client's submission-to-end seconds and the
seconds its submission request took.
Prints "key value" lines for bench/overhead.sh. All figures are seconds summed over the run.

Inside the history: every activity runs from its TaskScheduled event to its TaskCompleted event. The chunk and
evaluation activities report their own wall time, checkpoint transfer times and the time of the work itself (a
chunk's includes the evaluations it made of its output), so
their span splits into dispatch (scheduled until the activity's code runs, queue pickup included), checkpoint
transfer, set-up (data lookup, model build, (de)serialisation) and the work. The small activities (initialise,
journal, prune) count whole, dispatch included. Between a task's completion and the orchestrator's next episode
is completion pickup; each episode's own length is history replay plus the loop's decision."""
import json
import sys
from datetime import datetime


def seconds(stamp):
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(whole).timestamp() + (float("0." + fraction) if fraction else 0.0)


status = json.load(open(sys.argv[1], encoding="utf-8"))
submission_to_end = float(sys.argv[2])
submission = float(sys.argv[3])
events = status["historyEvents"]
scheduled = {}
totals = {key: 0.0 for key in ("chunks", "evaluation", "checkpoint_read", "checkpoint_write", "setup", "dispatch",
                                "initialize", "journal", "prune", "merge", "other_activities", "completion_pickup",
                                "replay_and_decision")}
rounds = 0
episode_start = None
latest_completion = None
for event in events:
    kind, stamp = event["EventType"], seconds(event["Timestamp"])
    if kind == "TaskScheduled":
        scheduled[int(event["EventId"])] = (stamp, event.get("Name"))
    elif kind in ("TaskCompleted", "TaskFailed"):
        began, name = scheduled.pop(int(event["TaskScheduledId"]))
        span = stamp - began
        # A completion is recorded in the episode it woke, after that episode's OrchestratorStarted.
        latest_completion = stamp if latest_completion is None else max(latest_completion, stamp)
        result = json.loads(event["Result"]) if event.get("Result") else None
        timing = result.get("timing") if isinstance(result, dict) else None
        if name in ("RunChunk", "EvaluateCheckpoint") and timing:
            work = result["seconds"]
            totals["chunks" if name == "RunChunk" else "evaluation"] += work
            # A chunk may also have measured its output (the evaluations the loop foresaw): that is evaluation work.
            measured = sum((result.get(split) or {}).get("seconds", 0.0) for split in ("validation", "test"))
            totals["evaluation"] += measured
            totals["checkpoint_read"] += timing["checkpointReadSeconds"]
            totals["checkpoint_write"] += timing["checkpointWriteSeconds"]
            totals["setup"] += timing["wallSeconds"] - work - measured - timing["checkpointReadSeconds"] - timing["checkpointWriteSeconds"]
            totals["dispatch"] += span - timing["wallSeconds"]
            rounds += name == "RunChunk"
        else:
            key = {"InitializeTraining": "initialize", "RecordMetrics": "journal", "PruneCheckpoints": "prune",
                   "MergeReplicas": "merge"}.get(name, "other_activities")
            totals[key] += span
    elif kind == "OrchestratorStarted":
        episode_start = stamp
        latest_completion = None
    elif kind == "OrchestratorCompleted" and episode_start is not None:
        totals["replay_and_decision"] += stamp - episode_start
        if latest_completion is not None and episode_start > latest_completion:
            totals["completion_pickup"] += episode_start - latest_completion

stamps = [seconds(event["Timestamp"]) for event in events]
in_history = max(stamps) - min(stamps)
useful = totals["chunks"] + totals["evaluation"]
accounted = sum(totals.values())
print(f"rounds {rounds}")
print(f"submission_to_end {submission_to_end:.2f}")
print(f"in_history {in_history:.2f}")
print(f"outside_history {submission_to_end - in_history:.2f}")
# The rest outside the history: until the history's first event after the submission returns, and from its last
# event until the client sees the end.
print(f"submission {submission:.2f}")
print(f"seeing_the_end {submission_to_end - in_history - submission:.2f}")
for key, value in totals.items():
    print(f"{key} {value:.2f}")
print(f"unaccounted {in_history - accounted:.2f}")
print(f"useful {useful:.2f}")
print(f"overhead_ratio {submission_to_end / useful:.3f}")
print(f"history_overhead_ratio {in_history / useful:.3f}")
