namespace DurableTrainer.Durable;

/// <summary>The names under which the orchestrations and activities are registered; they appear in history.</summary>
public static class DurableTaskNames
{
    public const string Orchestration = "Training";
    public const string Initialize = "InitializeTraining";
    public const string RunChunk = "RunChunk";
    public const string Merge = "MergeReplicas";
    public const string Evaluate = "EvaluateCheckpoint";
    public const string Prune = "PruneCheckpoints";
    public const string RecordMetrics = "RecordMetrics";
    public const string SweepOrchestration = "Sweep";
    public const string StartTrial = "StartTrial";
    public const string RecordSweep = "RecordSweep";
    public const string FindLostTrials = "FindLostTrials";
    public const string PredictionOrchestration = "Prediction";
    public const string PredictPart = "PredictPart";
    public const string SummarizePredictions = "SummarizePredictions";
    public const string WritePredictionManifest = "WritePredictionManifest";
}
