using DurableTrainer.Application.Contracts;
using DurableTrainer.Domain.Sweeps;

namespace DurableTrainer.Application.Ports;

/// <summary>
/// A trial's line to its sweep: it reports at a rung and waits for the verdict, and it reports once when its run
/// ends. In the durable host these are events between the two orchestrations, recorded in both histories.
/// </summary>
public interface ISweepChannel
{
    /// <summary>Reports reaching a rung; completes with the sweep's verdict (or a stop, when the run is asked to stop meanwhile).</summary>
    Task<RungVerdict> ReportRungAsync(TrialLink trial, TrialReport report);

    /// <summary>Reports the run's end. Does not wait.</summary>
    void ReportEnded(TrialLink trial, TrialReport report);
}
