namespace DurableTrainer.Infrastructure.TorchSharp.Models;

/// <summary>
/// libtorch's default CPU generator is one per process, and two activities may train at once. Whoever seeds it and
/// then draws from it (building a model's initial weights, a TorchScript module's dropout) holds this lock for both,
/// so no other thread's draws fall in between.
/// </summary>
internal static class GlobalGenerator
{
    public static readonly Lock Lock = new();
}
