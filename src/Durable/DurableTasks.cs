using DurableTrainer.Durable.Activities;
using DurableTrainer.Durable.Orchestrations;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable;

public enum DurableTaskKind
{
    Orchestration,
    Activity,
}

/// <summary>
/// One orchestration or activity: the name it is registered under (and recorded in history), and the class that
/// implements it. Its input and output are the class's <see cref="TaskOrchestrator{TInput, TOutput}"/> or
/// <see cref="TaskActivity{TInput, TOutput}"/> arguments.
/// </summary>
public sealed record DurableTaskRegistration(string Name, DurableTaskKind Kind, Type Implementation)
{
    public Type Input => BaseArguments[0];

    public Type Output => BaseArguments[1];

    private Type[] BaseArguments
    {
        get
        {
            Type open = Kind == DurableTaskKind.Orchestration ? typeof(TaskOrchestrator<,>) : typeof(TaskActivity<,>);
            for (Type? type = Implementation; type is not null; type = type.BaseType)
            {
                if (type.IsGenericType && type.GetGenericTypeDefinition() == open)
                {
                    return type.GetGenericArguments();
                }
            }

            throw new InvalidOperationException($"{Implementation.Name} does not derive from {open.Name}.");
        }
    }
}

/// <summary>
/// Every orchestration and activity of a training run, a sweep and a prediction job: the one table hosts register from. The
/// self-hosted worker creates each from its container on every work item; the Functions app's hand-written
/// <c>[Function]</c> wrappers are checked against it one for one by a test.
/// </summary>
public static class DurableTasks
{
    public static IReadOnlyList<DurableTaskRegistration> All { get; } =
    [
        Orchestration<TrainingOrchestration>(DurableTaskNames.Orchestration),
        Orchestration<SweepOrchestration>(DurableTaskNames.SweepOrchestration),
        Activity<InitializeTrainingActivity>(DurableTaskNames.Initialize),
        Activity<RunChunkActivity>(DurableTaskNames.RunChunk),
        Activity<MergeReplicasActivity>(DurableTaskNames.Merge),
        Activity<EvaluateCheckpointActivity>(DurableTaskNames.Evaluate),
        Activity<PruneCheckpointsActivity>(DurableTaskNames.Prune),
        Activity<RecordMetricsActivity>(DurableTaskNames.RecordMetrics),
        Activity<StartTrialActivity>(DurableTaskNames.StartTrial),
        Activity<RecordSweepActivity>(DurableTaskNames.RecordSweep),
        Activity<FindLostTrialsActivity>(DurableTaskNames.FindLostTrials),
        Orchestration<PredictionOrchestration>(DurableTaskNames.PredictionOrchestration),
        Activity<PredictPartActivity>(DurableTaskNames.PredictPart),
        Activity<SummarizePredictionsActivity>(DurableTaskNames.SummarizePredictions),
        Activity<WritePredictionManifestActivity>(DurableTaskNames.WritePredictionManifest),
    ];

    private static DurableTaskRegistration Orchestration<T>(string name)
        where T : ITaskOrchestrator => new(name, DurableTaskKind.Orchestration, typeof(T));

    private static DurableTaskRegistration Activity<T>(string name)
        where T : ITaskActivity => new(name, DurableTaskKind.Activity, typeof(T));
}
