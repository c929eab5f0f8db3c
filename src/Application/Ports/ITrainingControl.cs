namespace DurableTrainer.Application.Ports;

/// <summary>
/// Requests from outside a running training loop, read between rounds. In the durable host these are external
/// events, so reading them is deterministic under replay.
/// </summary>
public interface ITrainingControl
{
    /// <summary>True once someone asked the run to stop (it finishes the round in progress first).</summary>
    bool StopRequested { get; }

    /// <summary>The learning-rate scale most recently requested and not yet taken, or null.</summary>
    double? TakeLearningRateScale();
}

/// <summary>No one steers: for runs (and tests) without external control.</summary>
public sealed class NoTrainingControl : ITrainingControl
{
    public static NoTrainingControl Instance { get; } = new();

    public bool StopRequested => false;

    public double? TakeLearningRateScale() => null;
}
