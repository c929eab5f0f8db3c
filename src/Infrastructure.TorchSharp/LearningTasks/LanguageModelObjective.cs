using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Data.Text;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.LearningTasks;

/// <summary>
/// The next token at every position: cross-entropy of the logits [N, T, vocabulary] against the ids one position on
/// [N, T], averaged over every token (targets marked <see cref="TokenStreamSplit.IgnoredTarget"/> skipped); perplexity
/// and bits per token. Its data are token streams (<see cref="LanguageModelData"/>), not labelled rows, so the
/// label methods refuse, and it predicts by generating text, not rows.
/// </summary>
public sealed class LanguageModelObjective : ILearningTaskObjective
{
    public LearningTask Kind => LearningTask.LanguageModel;

    public bool NeedsNumericLabels => false;

    public void CheckLabels(RawExamples examples) => throw RowsRefused();

    public TargetEncoder TargetsFrom(RawExamples train) => throw RowsRefused();

    public TargetEncoder TargetsAsTrained(Preprocessing preprocessing) => throw RowsRefused();

    public Tensor Loss(Tensor outputs, Tensor targets, nn.Reduction reduction = nn.Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(targets);
        using Tensor logits = outputs.reshape(-1, outputs.shape[^1]);
        using Tensor next = targets.reshape(-1);
        return nn.functional.cross_entropy(logits, next, ignore_index: TokenStreamSplit.IgnoredTarget, reduction: reduction);
    }

    public ITaskEvaluation StartEvaluation(Preprocessing preprocessing) => new TokenEvaluation(this);

    public PredictedValues Predict(Tensor outputs, Preprocessing preprocessing) =>
        throw new NotSupportedException("A language model predicts by generating text (POST /api/training/{id}/generate), not rows.");

    private static NotSupportedException RowsRefused() =>
        new("A language model reads token streams (LanguageModelData), not labelled rows.");

    /// <summary>The summed token losses and the tokens counted: the mean loss, e to it (perplexity) and it in bits.</summary>
    private sealed class TokenEvaluation(LanguageModelObjective objective) : ITaskEvaluation
    {
        private double _lossSum;
        private long _tokens;

        public void Add(Tensor outputs, Tensor targets)
        {
            _lossSum += objective.Loss(outputs, targets, nn.Reduction.Sum).to_type(ScalarType.Float64).item<double>();
            _tokens += targets.ne(TokenStreamSplit.IgnoredTarget).sum().item<long>();
        }

        public EvaluationMetrics Result()
        {
            double loss = _lossSum / Math.Max(_tokens, 1);
            var scores = new Dictionary<string, double>
            {
                [MonitorMetrics.NameOf(MonitorMetric.Perplexity)] = Math.Exp(loss),
                [MonitorMetrics.NameOf(MonitorMetric.BitsPerToken)] = loss / Math.Log(2),
            };
            return new EvaluationMetrics(0, loss, (int)Math.Min(int.MaxValue, _tokens), scores);
        }
    }
}
