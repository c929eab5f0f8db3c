using DurableTrainer.Domain.Kinds;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;

namespace DurableTrainer.Infrastructure.TorchSharp.LearningTasks;

/// <summary>One of exactly two classes: classification's loss over two logits; accuracy and ROC AUC.</summary>
public sealed class BinaryObjective : ClassificationObjective
{
    public override LearningTask Kind => LearningTask.Binary;

    public override TargetEncoder TargetsFrom(RawExamples train)
    {
        TargetEncoder encoder = ClassLabels.Encoder(train, Kind);
        IReadOnlyList<string> classes = encoder.ClassNames!;
        return classes.Count == 2
            ? encoder
            : throw new DataFormatException($"'{train.File}' has {classes.Count} classes ({string.Join(", ", classes.Take(5))}{(classes.Count > 5 ? ", ..." : string.Empty)}); data.task binary needs exactly two");
    }

    public override ITaskEvaluation StartEvaluation(Preprocessing preprocessing) => new ClassEvaluation(this, scoresPositiveClass: true);
}
