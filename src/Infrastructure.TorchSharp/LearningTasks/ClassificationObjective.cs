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

    public TargetEncoder TargetsAsTrained(Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        return ClassLabels.EncoderFor(preprocessing.ClassNames ?? throw new InvalidOperationException("A classifier's preprocessing names its classes."));
    }

    public Tensor Loss(Tensor outputs, Tensor targets, nn.Reduction reduction = nn.Reduction.Mean) =>
        nn.functional.cross_entropy(outputs, targets, reduction: reduction);

    public virtual ITaskEvaluation StartEvaluation(Preprocessing preprocessing) => new ClassEvaluation(this, scoresPositiveClass: false);

    public PredictedValues Predict(Tensor outputs, Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(preprocessing);
        using Tensor probabilities = nn.functional.softmax(outputs.to_type(ScalarType.Float32), 1);
        int classes = (int)outputs.shape[1];
        return new PredictedValues((int)outputs.shape[0], classes, probabilities.data<float>().ToArray(), null, preprocessing.ClassNames ?? Enumerable.Range(0, classes).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }
}
