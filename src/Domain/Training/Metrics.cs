namespace DurableTrainer.Domain.Training;

/// <summary>What one round of training measured. Loss is the mean training loss over the round's steps.</summary>
public sealed record RoundMetrics(long Round, long StepsDone, double MeanLoss, double LastLoss, long Samples, double Seconds)
{
    public double SamplesPerSecond => Seconds > 0 ? Samples / Seconds : 0;
}

/// <summary>Loss and accuracy on the held-out split at a given step.</summary>
public sealed record EvaluationMetrics(long StepsDone, double Loss, double Accuracy, int Examples);
