namespace DurableTrainer.Domain.Training;

public enum TrainingStatus
{
    Pending,
    Running,
    Completed,
    Stopped,
    Failed,
}

/// <summary>Why a run ended. The first three complete a run by its own rules; the last two cut it short.</summary>
public enum StopReason
{
    PlanCompleted,
    TargetReached,
    EarlyStopping,
    StopRequested,
    TimeBudgetExhausted,
}
