using DurableTrainer.Domain.Kinds;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.LearningTasks;

/// <summary>
/// An evaluation of standardized regression targets: the loss as trained (MSE per target value), and RMSE, MAE and R²
/// (averaged over targets, as scikit-learn does) back in the targets' own units.
/// </summary>
public sealed class RegressionEvaluation(ILearningTaskObjective objective, Preprocessing preprocessing) : ITaskEvaluation
{
    private readonly List<float[]> _predictions = [];
    private readonly List<float[]> _targets = [];
    private double _lossSum;
    private int _examples;

    public void Add(Tensor outputs, Tensor targets)
    {
        _lossSum += objective.Loss(outputs, targets, nn.Reduction.Sum).item<float>();
        _examples += (int)outputs.shape[0];
        _predictions.Add(outputs.contiguous().data<float>().ToArray());
        _targets.Add(targets.contiguous().data<float>().ToArray());
    }

    public EvaluationMetrics Result()
    {
        int width = preprocessing.TargetMean!.Length;
        double loss = _lossSum / ((double)Math.Max(_examples, 1) * width);
        (double rmse, double mae, double r2) = Scores(width);
        var scores = new Dictionary<string, double>
        {
            [MonitorMetrics.NameOf(MonitorMetric.Rmse)] = rmse,
            [MonitorMetrics.NameOf(MonitorMetric.Mae)] = mae,
            [MonitorMetrics.NameOf(MonitorMetric.R2)] = r2,
        };
        return new EvaluationMetrics(0, loss, _examples, scores);
    }

    private (double Rmse, double Mae, double R2) Scores(int width)
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
                double error = (predictions[i] - targets[i]) * std[t];
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
