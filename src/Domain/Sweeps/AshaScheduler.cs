using System.Globalization;
using DurableTrainer.Domain.Kinds;

namespace DurableTrainer.Domain.Sweeps;

/// <summary>What ASHA says about a trial that has reached a rung.</summary>
public sealed record RungJudgement(bool Continues, double? Cutoff, string? Reason);

/// <summary>
/// Asynchronous successive halving, stopping variant (as Ray Tune's <c>AsyncHyperBandScheduler</c> with one
/// bracket): rungs at grace × η^k steps below the maximum; a trial reaching a rung goes on only when its metric is
/// not below the (1 − 1/η) quantile (linear interpolation, as numpy's percentile) of the values recorded at that
/// rung so far, and its value is recorded either way. The first trial at a rung always goes on. Pure: the verdict
/// depends only on its arguments.
/// </summary>
public static class AshaScheduler
{
    /// <summary>grace × η^k for k = 0, 1, … while below <paramref name="maximumSteps"/> (a trial at its maximum is done, not judged).</summary>
    public static IReadOnlyList<long> Rungs(long graceSteps, double reductionFactor, long maximumSteps)
    {
        var rungs = new List<long>();
        for (int k = 0; k < 64; k++)
        {
            double rung = Math.Round(graceSteps * Math.Pow(reductionFactor, k));
            if (rung >= maximumSteps || rung > long.MaxValue / 2)
            {
                break;
            }

            if (rungs.Count == 0 || (long)rung > rungs[^1])
            {
                rungs.Add((long)rung);
            }
        }

        return rungs;
    }

    /// <summary>
    /// The verdict for a trial at rung <paramref name="rungIndex"/> (<paramref name="rungSteps"/> steps) whose metric
    /// is <paramref name="value"/>, given the values <paramref name="recorded"/> there before it.
    /// </summary>
    public static RungJudgement Judge(IReadOnlyList<double> recorded, double value, double reductionFactor, MonitorMode mode, int rungIndex, long rungSteps, string metric)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        string rung = $"rung {rungIndex + 1} ({rungSteps.ToString(CultureInfo.InvariantCulture)} steps)";
        if (!double.IsFinite(value))
        {
            return new RungJudgement(false, null, $"stopped by ASHA at {rung}: its {metric} is not a number");
        }

        // In reward space higher is better, as Ray Tune negates a minimised metric.
        double sign = mode == MonitorMode.Max ? 1 : -1;
        double[] rewards = recorded.Where(double.IsFinite).Select(recordedValue => sign * recordedValue).ToArray();
        if (rewards.Length == 0)
        {
            return new RungJudgement(true, null, null);
        }

        double cutoff = sign * Percentile(rewards, (1 - (1 / reductionFactor)) * 100);
        bool continues = sign * value >= sign * cutoff;
        return new RungJudgement(continues, cutoff, continues ? null : string.Create(CultureInfo.InvariantCulture,
            $"stopped by ASHA at {rung}: {metric} {value:G6} is {(mode == MonitorMode.Max ? "below" : "above")} the cut-off {cutoff:G6} (the top 1/{reductionFactor:G4} of the {rewards.Length} recorded there)"));
    }

    /// <summary>The <paramref name="percent"/>th percentile with linear interpolation between closest ranks (numpy's default).</summary>
    public static double Percentile(IReadOnlyList<double> values, double percent)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("No values.", nameof(values));
        }

        double[] sorted = values.Order().ToArray();
        double rank = percent / 100 * (sorted.Length - 1);
        int below = (int)Math.Floor(rank);
        int above = Math.Min(below + 1, sorted.Length - 1);
        double fraction = rank - below;
        double difference = sorted[above] - sorted[below];
        // numpy interpolates from the nearer end, which keeps the result inside [below, above] in floating point.
        return fraction >= 0.5 ? sorted[above] - (difference * (1 - fraction)) : sorted[below] + (difference * fraction);
    }
}
