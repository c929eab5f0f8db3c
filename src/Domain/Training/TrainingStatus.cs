namespace DurableTrainer.Domain.Training;

public enum TrainingStatus
{
    Pending,
    Running,
    Completed,
    Stopped,
    Failed,
}

/// <summary>Why a run ended. The first three complete a run by its own rules; the others cut it short.</summary>
public enum StopReason
{
    PlanCompleted,
    TargetReached,
    EarlyStopping,
    StopRequested,
    TimeBudgetExhausted,

    /// <summary>The run is a trial of a sweep, and the sweep's scheduler (ASHA) stopped it at a rung.</summary>
    SchedulerStopped,
}
