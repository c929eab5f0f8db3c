using DurableTrainer.Domain.Decisions;
using DurableTrainer.Domain.Training;

namespace DurableTrainer.Application.Training;

/// <summary>
/// How an execution of the training loop ends: the run completes or stops for a <see cref="StopReason"/>, fails, or
/// hands over to a fresh execution. Every way a run ends comes to the loop as one of these, and
/// <see cref="TrainingOrchestrator"/> applies it in one place:
/// <list type="bullet">
/// <item>the plan is done, the target is reached, patience is exhausted: <see cref="Completed"/>;</item>
/// <item>a stop was requested, the time budget is spent, a sweep's rung verdict stops a trial: <see cref="Stopped"/>;</item>
/// <item>the loss diverged past the rollbacks, an evaluation went non-finite, a corrupt checkpoint could not be
/// recovered from, an activity failed (a changed model file, bad data): <see cref="Failed"/>;</item>
/// <item>the execution has played its rounds and continues as new: <see cref="HandedOver"/>.</item>
/// </list>
/// </summary>
internal abstract record RunEnd
{
    private RunEnd()
    {
    }

    public static RunEnd HandOver { get; } = new HandedOver();

    /// <summary>The run ends for <paramref name="reason"/>: stopped when the reason cuts it short, else completed.</summary>
    public static RunEnd For(StopReason reason, string? detail = null) =>
        RoundDecision.EndsEarlyFor(reason) ? new Stopped(reason, detail) : new Completed(reason);

    /// <summary>The run reached its end by its own rules.</summary>
    public sealed record Completed(StopReason Reason) : RunEnd;

    /// <summary>The run was cut short; <see cref="Detail"/> says why in words when the reason alone does not (a rung verdict).</summary>
    public sealed record Stopped(StopReason Reason, string? Detail = null) : RunEnd;

    public sealed record Failed(string Reason) : RunEnd;

    public sealed record HandedOver : RunEnd;
}
