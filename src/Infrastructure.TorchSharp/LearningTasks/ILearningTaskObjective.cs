using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.LearningTasks;

/// <summary>
/// What one learning task means to the executor: which labels it takes and how they become targets, the loss it
/// trains with, and how an evaluation of it is measured. A new task is one file implementing this and one member of
/// <see cref="LearningTask"/> (its name in requests, with the scores it reports); <see cref="TaskObjectives"/> finds
/// it, and a test fails while a member has none.
/// </summary>
public interface ILearningTaskObjective
{
    LearningTask Kind { get; }

    /// <summary>True when every label must be a number (a regression target); false when labels name classes.</summary>
    bool NeedsNumericLabels { get; }

    /// <summary>Throws a <see cref="Data.Formats.DataFormatException"/> naming the file and row when a label cannot be one of this task's.</summary>
    void CheckLabels(RawExamples examples);

    /// <summary>How labels become targets, decided from the training split's labels; also the model's output count.</summary>
    TargetEncoder TargetsFrom(RawExamples train);

    /// <summary>How labels become targets as training decided it (recorded in <paramref name="preprocessing"/>): for labelled rows to predict on.</summary>
    TargetEncoder TargetsAsTrained(Preprocessing preprocessing);

    Tensor Loss(Tensor outputs, Tensor targets, nn.Reduction reduction = nn.Reduction.Mean);

    /// <summary>A fresh accumulator for one evaluation, fed batch by batch.</summary>
    ITaskEvaluation StartEvaluation(Preprocessing preprocessing);

    /// <summary>What a batch's outputs [N, outputs] predict, in the user's terms (class probabilities, or targets in their units).</summary>
    PredictedValues Predict(Tensor outputs, Preprocessing preprocessing);
}

/// <summary>One evaluation of a task in progress: the batches' outputs and targets go in, the metrics come out.</summary>
public interface ITaskEvaluation
{
    void Add(Tensor outputs, Tensor targets);

    EvaluationMetrics Result();
}
