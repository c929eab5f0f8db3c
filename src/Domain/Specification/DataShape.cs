namespace DurableTrainer.Domain.Specification;

/// <summary>
/// The shape of one example (channels × height × width for images, features for tables) and how many outputs a
/// model must produce (classes). It comes from the data, never from constants, and decides the model's ends.
/// </summary>
public sealed record DataShape(IReadOnlyList<int> Input, int Outputs)
{
    public override string ToString() => $"[{string.Join(", ", Input)}] -> {Outputs}";

    public bool Equals(DataShape? other) => other is not null && Outputs == other.Outputs && Input.SequenceEqual(other.Input);

    public override int GetHashCode() => HashCode.Combine(Outputs, Input.Count > 0 ? Input[0] : 0, Input.Count);
}
