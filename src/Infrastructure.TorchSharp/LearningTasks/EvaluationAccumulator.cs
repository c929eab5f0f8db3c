using DurableTrainer.Domain.Configuration;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.LearningTasks;

/// <summary>
/// Gathers an evaluation batch by batch and computes the task's metrics: accuracy (and ROC AUC for binary) from the
/// logits; for regression RMSE, MAE and R² (averaged over targets, as scikit-learn does) in the targets' own units.
/// </summary>
public sealed class EvaluationAccumulator(LearningTask task, Preprocessing preprocessing)
{
    private readonly List<float> _positiveScores = [];
    private readonly List<long> _labels = [];
    private readonly List<float[]> _predictions = [];
    private readonly List<float[]> _targets = [];
    private double _lossSum;
    private long _correct;
    private int _examples;

    public void Add(Tensor outputs, Tensor targets)
    {
        _lossSum += TaskLoss.Of(task, outputs, targets, nn.Reduction.Sum).item<float>();
        _examples += (int)outputs.shape[0];
        if (task == LearningTask.Regression)
        {
            _predictions.Add(outputs.contiguous().data<float>().ToArray());
            _targets.Add(targets.contiguous().data<float>().ToArray());
            return;
        }

        _correct += outputs.argmax(1).eq(targets).sum().item<long>();
        if (task == LearningTask.Binary)
        {
            using Tensor positive = nn.functional.softmax(outputs, 1).select(1, 1).contiguous();
            _positiveScores.AddRange(positive.data<float>().ToArray());
            _labels.AddRange(targets.data<long>().ToArray());
        }
    }

    public EvaluationMetrics Result()
    {
        var scores = new Dictionary<string, double>();
        int examples = Math.Max(_examples, 1);
        if (task == LearningTask.Regression)
        {
            // MSE on standardized targets is the loss; the errors are reported in the targets' own units.
            int width = preprocessing.TargetMean!.Length;
            double loss = _lossSum / ((double)examples * width);
            (double rmse, double mae, double r2) = RegressionScores(width);
            scores[MonitorMetrics.NameOf(MonitorMetric.Rmse)] = rmse;
            scores[MonitorMetrics.NameOf(MonitorMetric.Mae)] = mae;
            scores[MonitorMetrics.NameOf(MonitorMetric.R2)] = r2;
            return new EvaluationMetrics(0, loss, _examples, scores);
        }

        scores[MonitorMetrics.NameOf(MonitorMetric.Accuracy)] = (double)_correct / examples;
        if (task == LearningTask.Binary)
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

    private (double Rmse, double Mae, double R2) RegressionScores(int width)
    {
        double[] mean = preprocessing.TargetMean!;
        double[] std = preprocessing.TargetStd!;
        var sumTarget = new double[width];
        long rows = 0;
        foreach (float[] batch in _targets)
        {
            for (int i = 0; i < batch.Length; i++)
            {
                sumTarget[i % width] += (batch[i] * std[i % width]) + mean[i % width];
            }

            rows += batch.Length / width;
        }

        double[] splitMean = sumTarget.Select(sum => sum / Math.Max(rows, 1)).ToArray();
        var squaredError = new double[width];
        var totalSquares = new double[width];
        double absoluteError = 0;
        for (int b = 0; b < _targets.Count; b++)
        {
            float[] predictions = _predictions[b];
            float[] targets = _targets[b];
            for (int i = 0; i < targets.Length; i++)
            {
                int t = i % width;
                double target = (targets[i] * std[t]) + mean[t];
                double error = ((predictions[i] - targets[i]) * std[t]);
                squaredError[t] += error * error;
                absoluteError += Math.Abs(error);
                totalSquares[t] += (target - splitMean[t]) * (target - splitMean[t]);
            }
        }

        double count = Math.Max(rows, 1) * (double)width;
        double r2 = Enumerable.Range(0, width).Average(t => totalSquares[t] > 0 ? 1 - (squaredError[t] / totalSquares[t]) : double.NaN);
        return (Math.Sqrt(squaredError.Sum() / count), absoluteError / count, r2);
    }
}
