using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Adapters;

/// <summary>
/// The one list of failures an activity can end with that retrying cannot mend: a corrupt checkpoint stays corrupt,
/// and a model file or data that is gone, changed or unreadable stays so. The retry policy gives up on them at once,
/// and the orchestration rebuilds each as the application's exception (the loop falls back from a corrupt checkpoint;
/// the others fail the run with their reason in the user's words, not the activity's wrapping).
/// </summary>
public static class PermanentActivityFailures
{
    private static readonly (Type Type, Func<string, CheckpointReference, Exception> Rebuild)[] All =
    [
        (typeof(CheckpointCorruptException), (message, input) => CheckpointCorruptException.FromMessage(input, message)),
        (typeof(ModelFileException), (message, _) => new ModelFileException(message)),
        (typeof(DatasetException), (message, _) => new DatasetException(message)),
    ];

    public static bool IsPermanent(TaskFailureDetails failure) => Find(failure) is not null;

    /// <summary>The application's exception for a permanent failure of an activity that read <paramref name="input"/>; null for others.</summary>
    public static Exception? Rebuild(TaskFailureDetails failure, CheckpointReference input) =>
        Find(failure)?.Rebuild(failure.ErrorMessage, input);

    private static (Type Type, Func<string, CheckpointReference, Exception> Rebuild)? Find(TaskFailureDetails failure)
    {
        foreach (var entry in All)
        {
            if (failure.ErrorType == entry.Type.FullName)
            {
                return entry;
            }
        }

        return null;
    }
}
