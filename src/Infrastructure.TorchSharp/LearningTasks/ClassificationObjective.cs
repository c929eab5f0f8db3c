using DurableTrainer.Domain.Kinds;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.LearningTasks;

/// <summary>One of several classes: cross-entropy over the class logits; accuracy.</summary>
public class ClassificationObjective : ILearningTaskObjective
{
    public virtual LearningTask Kind => LearningTask.Classification;

    public bool NeedsNumericLabels => false;

    public void CheckLabels(RawExamples examples) => ClassLabels.Check(examples);

    public virtual TargetEncoder TargetsFrom(RawExamples train) => ClassLabels.Encoder(train, Kind);

    public Tensor Loss(Tensor outputs, Tensor targets, nn.Reduction reduction = nn.Reduction.Mean) =>
        nn.functional.cross_entropy(outputs, targets, reduction: reduction);

    public virtual ITaskEvaluation StartEvaluation(Preprocessing preprocessing) => new ClassEvaluation(this, scoresPositiveClass: false);
}
