using DurableTrainer.Domain.Kinds;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.Data.Formats;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.LearningTasks;

/// <summary>
/// Numeric targets, one or several per example: mean squared error on targets standardized with the training split's
/// mean and spread; RMSE, MAE and R² reported in the targets' own units.
/// </summary>
public sealed class RegressionObjective : ILearningTaskObjective
{
    public LearningTask Kind => LearningTask.Regression;

    public bool NeedsNumericLabels => true;

    public void CheckLabels(RawExamples examples) =>
        _ = examples.Labels.Values ?? throw new DataFormatException($"'{examples.File}' has text labels ('{examples.Labels.Names![0]}'), but data.task regression needs numeric targets");

    public TargetEncoder TargetsFrom(RawExamples train)
    {
        CheckLabels(train);
        double[] values = train.Labels.Values!;
        int width = train.Labels.Width;
        var mean = new double[width];
        var std = new double[width];
        for (int t = 0; t < width; t++)
        {
            double[] column = Enumerable.Range(0, train.Count).Select(i => values[(i * width) + t]).ToArray();
            mean[t] = column.Average();
            double spread = Math.Sqrt(column.Select(v => (v - mean[t]) * (v - mean[t])).Average());
            std[t] = spread > 1e-12 ? spread : 1;
        }

        return new TargetEncoder(examples => Standardized(examples, train, width, mean, std), width, null, mean, std);
    }

    public Tensor Loss(Tensor outputs, Tensor targets, nn.Reduction reduction = nn.Reduction.Mean) =>
        nn.functional.mse_loss(outputs, targets, reduction);

    public ITaskEvaluation StartEvaluation(Preprocessing preprocessing) => new RegressionEvaluation(this, preprocessing);

    private static Tensor Standardized(RawExamples examples, RawExamples train, int width, double[] mean, double[] std)
    {
        double[] targets = examples.Labels.Values ?? throw new DataFormatException($"'{examples.File}' has text labels, but data.task regression needs numeric targets");
        if (examples.Labels.Width != width)
        {
            throw new DataFormatException($"'{examples.File}' has {examples.Labels.Width} targets per example but '{train.File}' has {width}");
        }

        var scaled = new float[targets.Length];
        for (int i = 0; i < targets.Length; i++)
        {
            scaled[i] = (float)((targets[i] - mean[i % width]) / std[i % width]);
        }

        return tensor(scaled, [examples.Count, width]);
    }
}
