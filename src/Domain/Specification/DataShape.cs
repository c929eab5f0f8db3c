namespace DurableTrainer.Domain.Specification;

/// <summary>
/// The shape of one example (channels × height × width for images, features for tables, positions for token
/// sequences) and how many outputs a model must produce (classes, targets, or the vocabulary of a language model).
/// It comes from the data, never from constants, and decides the model's ends.
/// </summary>
public sealed record DataShape(IReadOnlyList<int> Input, int Outputs)
{
    /// <summary>The number of distinct token ids the examples hold, for token sequences; null for any other data.</summary>
    public int? Vocabulary { get; init; }

    /// <summary>
    /// The token id that pads texts shorter than the context, for a table's texts; null when nothing is padded. Its
    /// positions are masked out of attention and pooling (the first position always counts, so an empty text is one
    /// padding token).
    /// </summary>
    public int? PaddingId { get; init; }

    /// <summary>True when a model predicts at every position ([T, outputs], a language model); false for one prediction per example.</summary>
    public bool OutputsPerPosition { get; init; }

    /// <summary>The shape a model must give for one example: [outputs], or [positions, outputs].</summary>
    public IReadOnlyList<int> Output => OutputsPerPosition ? [Input[0], Outputs] : [Outputs];

    public override string ToString() => $"[{string.Join(", ", Input)}] -> {(OutputsPerPosition ? $"[{Input[0]}, {Outputs}]" : Outputs)}";

    public bool Equals(DataShape? other) =>
        other is not null && Outputs == other.Outputs && Input.SequenceEqual(other.Input) && Vocabulary == other.Vocabulary && OutputsPerPosition == other.OutputsPerPosition && PaddingId == other.PaddingId;

    public override int GetHashCode() => HashCode.Combine(Outputs, Input.Count > 0 ? Input[0] : 0, Input.Count, Vocabulary, OutputsPerPosition, PaddingId);
}
