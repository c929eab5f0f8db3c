using DurableTrainer.Domain.Specification;

namespace DurableTrainer.Api;

/// <summary>An RFC 9457 problem details body with field-level errors, in the shape ASP.NET's ValidationProblemDetails uses.</summary>
public sealed record ValidationProblem(
    string Type,
    string Title,
    int Status,
    string Detail,
    IReadOnlyDictionary<string, string[]> Errors);

public static class ProblemDetailsFactory
{
    public const string ContentType = "application/problem+json";

    public static ApiResult UnknownRun(string runId) => new(
        404,
        new { type = "https://datatracker.ietf.org/doc/html/rfc9110#section-15.5.5", title = "No such training run.", status = 404, detail = $"No run with id '{(runId.Length > 200 ? runId[..200] + "..." : runId)}' exists in this task hub." },
        ContentType: ContentType);

    public static ValidationProblem Validation(IReadOnlyList<ValidationError> errors, int status = 400) => new(
        "https://datatracker.ietf.org/doc/html/rfc9110#section-15.5.1",
        status == 409 ? "The run already exists." : "The training request is not valid.",
        status,
        string.Join("; ", errors.Select(error => error.ToString())),
        errors.GroupBy(error => error.Field).ToDictionary(group => group.Key, group => group.Select(error => error.Rule).ToArray()));
}
