using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Checkpoints;
using DurableTrainer.Infrastructure.TorchSharp.Data;
using DurableTrainer.Infrastructure.TorchSharp.LearningTasks;
using DurableTrainer.Infrastructure.TorchSharp.Models;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Prediction;

/// <summary>
/// A checkpoint's model ready to predict: built from its spec, loaded, in eval mode, with the run's dataset for its
/// preprocessing (standardization, classes, table encoding). Forward passes take turns: one module, one caller at a
/// time, each on a tensor thread.
/// </summary>
internal sealed class PredictionModel : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _module;
    private readonly Tensor _mean;
    private readonly Tensor _std;
    private readonly Lock _gate = new();

    private PredictionModel(nn.Module<Tensor, Tensor> module, LoadedDataset dataset, Tensor mean, Tensor std)
    {
        _module = module;
        Dataset = dataset;
        _mean = mean;
        _std = std;
        Objective = TaskObjectives.For(dataset.Task);
    }

    public LoadedDataset Dataset { get; }

    public ILearningTaskObjective Objective { get; }

    public Preprocessing Preprocessing => Dataset.Preprocessing;

    /// <summary>Builds the model of <paramref name="spec"/> with the checkpoint's weights (call on a tensor thread).</summary>
    public static PredictionModel Load(CheckpointReference checkpoint, byte[] content, ModelSpec spec, LoadedDataset dataset)
    {
        nn.Module<Tensor, Tensor> module = ModelFactory.Create(spec);
        try
        {
            using (NewDisposeScope())
            {
                CheckpointFormat.Read(checkpoint, content, spec.Describe(), module, null);
            }

            module.eval();
            Preprocessing p = dataset.Preprocessing;
            long[] shape = p.Axis switch
            {
                "feature" => [p.FeatureMean.Length],
                "channel" => [p.FeatureMean.Length, 1, 1],
                _ => [p.FeatureMean.Length],
            };
            Tensor mean = tensor(p.FeatureMean, shape).DetachFromDisposeScope();
            Tensor std = tensor(p.FeatureStd, shape).DetachFromDisposeScope();
            return new PredictionModel(module, dataset, mean, std);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>A language model's logits for the token after <paramref name="ids"/> (at most its context length), on the calling tensor thread.</summary>
    public float[] NextTokenLogits(long[] ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            using (no_grad())
            {
                Tensor logits = _module.call(tensor(ids).unsqueeze(0));
                return logits.select(1, -1).squeeze(0).to_type(ScalarType.Float32).data<float>().ToArray();
            }
        }
    }

    /// <summary>
    /// Predicts rows [<paramref name="first"/>, first + <paramref name="count"/>) of <paramref name="examples"/> in
    /// batches of <paramref name="batchSize"/> counted from <paramref name="first"/>, so the same rows always meet
    /// the same batches and give the same bits. With <paramref name="evaluation"/>, the raw outputs and the labels'
    /// targets are kept too.
    /// </summary>
    public PredictedValues Predict(RawExamples examples, long first, long count, int batchSize, EvaluationRecord? evaluation = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        int width = examples.FeaturesPerExample;
        long[] exampleShape = [.. examples.Shape.Select(size => (long)size)];
        Tensor? allTargets = evaluation is null ? null : Objective.TargetsAsTrained(Preprocessing).Encode(Slice(examples, first, count)).DetachFromDisposeScope();
        var batches = new List<PredictedValues>();
        try
        {
            lock (_gate)
            {
                using IDisposable noGrad = no_grad();
                for (long start = first; start < first + count; start += batchSize)
                {
                    using var scope = NewDisposeScope();
                    int length = (int)Math.Min(batchSize, first + count - start);
                    float[] values = new float[length * width];
                    Array.Copy(examples.Features, start * width, values, 0, (long)length * width);
                    using Tensor features = tensor(values, [length, .. exampleShape]);
                    features.sub_(_mean).div_(_std);
                    Tensor outputs = _module.call(features);
                    batches.Add(Objective.Predict(outputs, Preprocessing));
                    evaluation?.Add(outputs, allTargets!.narrow(0, start - first, length));
                }
            }

            return batches.Count == 0 ? new PredictedValues(0, Dataset.Shape.Outputs, null, null, Preprocessing.ClassNames) : PredictedValues.Concatenate(batches);
        }
        finally
        {
            allTargets?.Dispose();
        }
    }

    /// <summary>The rows' labels only, as a target encoder reads them.</summary>
    private static RawExamples Slice(RawExamples examples, long first, long count)
    {
        RawLabels labels = examples.Labels;
        RawLabels sliced = labels.Names is { } names
            ? RawLabels.Of(names[(int)first..(int)(first + count)])
            : RawLabels.Of(labels.Values![(int)(first * labels.Width)..(int)((first + count) * labels.Width)], labels.Width);
        return new RawExamples(examples.File, [], examples.Shape, sliced, row => examples.Locate((int)first + row));
    }

    public void Dispose()
    {
        _module.Dispose();
        _mean.Dispose();
        _std.Dispose();
    }
}

/// <summary>A part's raw outputs and targets, batch by batch, kept so a job's metrics are those of one evaluation over all its rows.</summary>
internal sealed class EvaluationRecord
{
    private readonly List<float> _outputs = [];
    private readonly List<double> _targets = [];

    public int OutputWidth { get; private set; }

    public int TargetWidth { get; private set; }

    public bool ClassTargets { get; private set; }

    public float[] Outputs => [.. _outputs];

    public double[] Targets => [.. _targets];

    public void Add(Tensor outputs, Tensor targets)
    {
        OutputWidth = (int)outputs.shape[1];
        ClassTargets = targets.dtype == ScalarType.Int64;
        TargetWidth = targets.dim() == 1 ? 1 : (int)targets.shape[1];
        using Tensor floats = outputs.to_type(ScalarType.Float32).contiguous();
        _outputs.AddRange(floats.data<float>().ToArray());
        using Tensor doubles = targets.to_type(ScalarType.Float64).contiguous();
        _targets.AddRange(doubles.data<double>().ToArray());
    }
}
