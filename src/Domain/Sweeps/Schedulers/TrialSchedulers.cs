using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Domain.Sweeps.Schedulers;

/// <summary>The trial schedulers this build implements, found by the name each one implements.</summary>
public static class TrialSchedulers
{
    private static readonly Dictionary<SweepSchedulerKind, ITrialScheduler> ByKind =
        KindImplementations.Discover<SweepSchedulerKind, ITrialScheduler>(scheduler => scheduler.Kind);

    /// <summary>The scheduler of that name, or null when none implements it.</summary>
    public static ITrialScheduler? Find(SweepSchedulerKind kind) => ByKind.GetValueOrDefault(kind);

    /// <summary>The scheduler of a validated section's name.</summary>
    public static ITrialScheduler For(SweepSchedulerKind kind) =>
        Find(kind) ?? throw new ArgumentOutOfRangeException(nameof(kind), kind, "No trial scheduler implements this name.");
}
