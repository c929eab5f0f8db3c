using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.LearningTasks;

/// <summary>
/// An evaluation over class logits: the summed loss and accuracy, and for two classes the positive class's scores,
/// from which ROC AUC is computed.
/// </summary>
public sealed class ClassEvaluation(ILearningTaskObjective objective, bool scoresPositiveClass) : ITaskEvaluation
{
    private readonly List<float> _positiveScores = [];
    private readonly List<long> _labels = [];
    private double _lossSum;
    private long _correct;
    private int _examples;

    public void Add(Tensor outputs, Tensor targets)
    {
        _lossSum += objective.Loss(outputs, targets, nn.Reduction.Sum).item<float>();
        _examples += (int)outputs.shape[0];
        _correct += outputs.argmax(1).eq(targets).sum().item<long>();
        if (scoresPositiveClass)
        {
            using Tensor positive = nn.functional.softmax(outputs, 1).select(1, 1).contiguous();
            _positiveScores.AddRange(positive.data<float>().ToArray());
            _labels.AddRange(targets.data<long>().ToArray());
        }
    }

    public EvaluationMetrics Result()
    {
        int examples = Math.Max(_examples, 1);
        var scores = new Dictionary<string, double> { [MonitorMetrics.NameOf(MonitorMetric.Accuracy)] = (double)_correct / examples };
        if (scoresPositiveClass)
        {
            scores[MonitorMetrics.NameOf(MonitorMetric.Auc)] = RocAuc(_positiveScores, _labels);
        }

        return new EvaluationMetrics(0, _lossSum / examples, _examples, scores);
    }

    /// <summary>ROC AUC as the Mann-Whitney statistic: the chance a random positive outscores a random negative, ties counting half.</summary>
    public static double RocAuc(IReadOnlyList<float> scores, IReadOnlyList<long> labels)
    {
        int[] order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double rankSumPositive = 0;
        long positives = 0;
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]])
            {
                end++;
            }

            double averageRank = ((start + end) / 2.0) + 1;
            for (int k = start; k <= end; k++)
            {
                if (labels[order[k]] == 1)
                {
                    rankSumPositive += averageRank;
                    positives++;
                }
            }

            start = end + 1;
        }

        long negatives = order.Length - positives;
        return positives == 0 || negatives == 0
            ? double.NaN
            : (rankSumPositive - (positives * (positives + 1) / 2.0)) / ((double)positives * negatives);
    }
}
