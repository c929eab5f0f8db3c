namespace DurableTrainer.Domain.Training;

public enum TrainingStatus
{
    Pending,
    Running,
    Completed,
    Stopped,
    Failed,
}

/// <summary>Why a run ended before or at the end of its plan.</summary>
public enum StopReason
{
    PlanCompleted,
    TargetReached,
    StopRequested,
}
