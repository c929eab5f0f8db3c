using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Specification;
using DurableTrainer.Domain.Training;
using DurableTrainer.Infrastructure.TorchSharp.Checkpoints;
using static TorchSharp.torch;

namespace DurableTrainer.Infrastructure.TorchSharp.Models.Initialization;

/// <summary>
/// Reads the weights a run starts from (<c>model.initFrom</c>): another run's pinned checkpoint from the checkpoint
/// store, or a weights file from the model store, checked against the SHA-256 the run pinned. What can no longer be
/// read is a <see cref="ModelFileException"/>, which fails the run at once rather than being retried.
/// </summary>
public sealed class InitialWeightsSource(IModelFileStore? files, ICheckpointStore? checkpoints)
{
    /// <summary>The pinned source's bytes, as the run was submitted with them.</summary>
    public async Task<byte[]> ReadAsync(InitialWeights init, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(init);
        if (init.IsRun())
        {
            CheckpointReference checkpoint = CheckpointOf(init);
            try
            {
                return await Checkpoints.LoadAsync(checkpoint, cancellationToken);
            }
            catch (CheckpointNotFoundException)
            {
                throw new ModelFileException($"The run starts from {init.Describe()}, which no longer exists (was run '{init.Run}' purged?); the run cannot go on without it.");
            }
        }

        ModelFileContent file = await Files.ReadAsync(init.File!, cancellationToken)
            ?? throw new ModelFileException($"The weights file '{init.File}' the run starts from is no longer in the model store ({Files.Location}).");
        if (init.Sha256 is { } pinned && pinned != file.Sha256)
        {
            throw new ModelFileException(
                $"The weights file '{init.File}' changed under the run: its SHA-256 is now {file.Sha256}, but the run was submitted with {pinned}. Submit a new run to start from the new file.");
        }

        return file.Content;
    }

    /// <summary>The tensors of <paramref name="content"/> by state-dict key, in the caller's dispose scope; a file that does not read says why.</summary>
    public static Dictionary<string, Tensor> Parse(InitialWeights init, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(init);
        if (init.IsRun())
        {
            return CheckpointFormat.ReadModelState(CheckpointOf(init), content).State;
        }

        try
        {
            return WeightsFile.Read(content);
        }
        catch (InvalidDataException problem)
        {
            throw new ModelFileException($"The weights file '{init.File}' {problem.Message}.");
        }
    }

    public static CheckpointReference CheckpointOf(InitialWeights init)
    {
        ArgumentNullException.ThrowIfNull(init);
        return new CheckpointReference(RunId.Parse(init.Run!), init.CheckpointName
            ?? throw new ModelFileException($"The run starts from run '{init.Run}', whose checkpoint was never pinned; runs are pinned at submission."));
    }

    public IModelFileStore Files => files ?? throw new InvalidOperationException("This host has no model store: weights files cannot be read here.");

    private ICheckpointStore Checkpoints => checkpoints ?? throw new InvalidOperationException("This host has no checkpoint store: runs cannot start from another run's checkpoint here.");
}
