namespace DurableTrainer.Api.Requests;

/// <summary>
/// Where each field of the old flat request lives in the sectioned specification. A flat request is refused with
/// one error per old field naming its new path, rather than having its fields silently ignored.
/// </summary>
public static class LegacyRequestFields
{
    public static IReadOnlyDictionary<string, string> NewPaths { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["learningRate"] = "optimizer.learningRate",
        ["momentum"] = "optimizer.momentum",
        ["nesterov"] = "optimizer.nesterov",
        ["beta1"] = "optimizer.beta1",
        ["beta2"] = "optimizer.beta2",
        ["weightDecay"] = "optimizer.weightDecay",
        ["learningRateSchedule"] = "schedule.name",
        ["warmupSteps"] = "schedule.warmupSteps",
        ["stepDecayEvery"] = "schedule.stepDecayEvery",
        ["stepDecayFactor"] = "schedule.stepDecayFactor",
        ["minLearningRateFactor"] = "schedule.minFactor",
        ["epochs"] = "training.epochs",
        ["maxSteps"] = "training.maxSteps",
        ["batchSize"] = "training.batchSize",
        ["gradientAccumulationSteps"] = "training.gradientAccumulationSteps",
        ["gradientClipNorm"] = "training.gradientClipNorm",
        ["seed"] = "training.seed",
        ["dataset"] = "data.dataset",
        ["hiddenUnits"] = "model.parameters.hiddenUnits",
        ["hiddenLayers"] = "model.parameters.hiddenLayers",
        ["convChannels"] = "model.parameters.convChannels",
        ["batchNorm"] = "model.parameters.batchNorm",
        ["dropout"] = "model.parameters.dropout",
        ["evaluationIntervalSteps"] = "evaluation.intervalSteps",
        ["monitorMetric"] = "evaluation.metric",
        ["monitorMode"] = "evaluation.mode",
        ["earlyStoppingPatience"] = "stopping.earlyStoppingPatience",
        ["earlyStoppingMinDelta"] = "stopping.earlyStoppingMinDelta",
        ["plateauPatience"] = "stopping.plateauPatience",
        ["plateauFactor"] = "stopping.plateauFactor",
        ["minLearningRate"] = "stopping.minLearningRate",
        ["targetMetric"] = "stopping.targetMetric",
        ["timeBudgetSeconds"] = "stopping.timeBudgetSeconds",
        ["divergenceFactor"] = "stopping.divergenceFactor",
        ["maxRollbacks"] = "stopping.maxRollbacks",
        ["rollbackLearningRateFactor"] = "stopping.rollbackLearningRateFactor",
        ["checkpointIntervalSteps"] = "checkpoints.intervalSteps",
        ["keepLastCheckpoints"] = "checkpoints.keepLast",
        ["mergeStrategy"] = "replicas.merge",
        ["outerLearningRate"] = "replicas.outerLearningRate",
        ["outerMomentum"] = "replicas.outerMomentum",
        ["stepsPerChunk"] = "execution.stepsPerChunk",
        ["roundsPerExecution"] = "execution.roundsPerExecution",
        ["activityMaxAttempts"] = "execution.activityMaxAttempts",
        ["activityFirstRetrySeconds"] = "execution.activityFirstRetrySeconds",
    };

    /// <summary>Old fields whose name is now a section: given a plain value, they were the section's main field.</summary>
    public static IReadOnlyDictionary<string, string> SectionsThatWereValues { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["optimizer"] = "optimizer.name",
        ["model"] = "model.architecture",
        ["replicas"] = "replicas.count",
    };

    public static string? RuleFor(string field) =>
        NewPaths.TryGetValue(field, out string? path) ? $"is no longer a top-level field: it moved to {path}" : null;

    public static string? RuleForPlainValue(string section) =>
        SectionsThatWereValues.TryGetValue(section, out string? path) ? $"is now a section (a JSON object): give this value as {path}" : null;
}
