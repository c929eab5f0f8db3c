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

        return new TargetEncoder(examples => Standardized(examples, $"'{train.File}'", width, mean, std), width, null, mean, std);
    }

    public TargetEncoder TargetsAsTrained(Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        double[] mean = preprocessing.TargetMean ?? throw new InvalidOperationException("A regression model's preprocessing holds its targets' mean.");
        double[] std = preprocessing.TargetStd ?? throw new InvalidOperationException("A regression model's preprocessing holds its targets' spread.");
        return new TargetEncoder(examples => Standardized(examples, "the training data", mean.Length, mean, std), mean.Length, null, mean, std);
    }

    public Tensor Loss(Tensor outputs, Tensor targets, nn.Reduction reduction = nn.Reduction.Mean) =>
        nn.functional.mse_loss(outputs, targets, reduction);

    public ITaskEvaluation StartEvaluation(Preprocessing preprocessing) => new RegressionEvaluation(this, preprocessing);

    /// <summary>The model learnt standardized targets: each is turned back into the label's units with the training split's mean and spread.</summary>
    public PredictedValues Predict(Tensor outputs, Preprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(preprocessing);
        using Tensor doubles = outputs.to_type(ScalarType.Float64);
        double[] values = doubles.data<double>().ToArray();
        int width = (int)outputs.shape[1];
        for (int i = 0; i < values.Length; i++)
        {
            int t = i % width;
            values[i] = (values[i] * (preprocessing.TargetStd?[t] ?? 1)) + (preprocessing.TargetMean?[t] ?? 0);
        }

        return new PredictedValues((int)outputs.shape[0], width, null, values, null);
    }

    private static Tensor Standardized(RawExamples examples, string trainedOn, int width, double[] mean, double[] std)
    {
        double[] targets = examples.Labels.Values ?? throw new DataFormatException($"'{examples.File}' has text labels, but data.task regression needs numeric targets");
        if (examples.Labels.Width != width)
        {
            throw new DataFormatException($"'{examples.File}' has {examples.Labels.Width} targets per example but {trainedOn} has {width}");
        }

        var scaled = new float[targets.Length];
        for (int i = 0; i < targets.Length; i++)
        {
            scaled[i] = (float)((targets[i] - mean[i % width]) / std[i % width]);
        }

        return tensor(scaled, [examples.Count, width]);
    }
}
