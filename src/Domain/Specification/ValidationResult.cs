namespace DurableTrainer.Domain.Specification;

/// <summary>Either a valid value or the full list of broken rules; never both.</summary>
public sealed class ValidationResult<T>
    where T : class
{
    private ValidationResult(T? value, IReadOnlyList<ValidationError> errors)
    {
        Value = value;
        Errors = errors;
    }

    public T? Value { get; }
    public IReadOnlyList<ValidationError> Errors { get; }
    public bool IsValid => Value is not null;

    public static ValidationResult<T> Success(T value) => new(value, []);

    public static ValidationResult<T> Failure(IReadOnlyList<ValidationError> errors) =>
        errors.Count == 0 ? throw new ArgumentException("A failure needs at least one error.", nameof(errors)) : new(null, errors);

    public T GetValueOrThrow() =>
        Value ?? throw new InvalidOperationException("Invalid: " + string.Join("; ", Errors));
}
