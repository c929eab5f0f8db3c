namespace DurableTrainer.Durable;

/// <summary>
/// Which orchestration versions this build starts and continues. A durable orchestration is replayed from its history
/// on every step, so code that would schedule differently from what a run in flight already recorded (an activity call
/// added or removed, a loop changed) cannot continue that run. Such a change bumps <see cref="Current"/>; the versions
/// the new code still replays exactly stay in <see cref="Continued"/>. A run of any other version fails at once with
/// <see cref="Refusal"/>, instead of failing later on a replay mismatch, or hanging. See docs/upgrades.md.
/// </summary>
public static class OrchestrationVersions
{
    /// <summary>The version new orchestrations start with.</summary>
    public const string Current = "1";

    /// <summary>
    /// The versions of runs in flight this build continues: "" for runs started before orchestrations carried a
    /// version (their code is version 1's).
    /// </summary>
    public static IReadOnlySet<string> Continued { get; } = new HashSet<string>(StringComparer.Ordinal) { string.Empty, "1" };

    /// <summary>Null when this build continues an orchestration of <paramref name="version"/>; otherwise one sentence saying why not and what to do.</summary>
    public static string? Refusal(string name, string? version) =>
        Continued.Contains(version ?? string.Empty)
            ? null
            : $"This {name} orchestration was started by orchestration version '{version}', and this worker runs version '{Current}', "
              + $"which cannot replay it (it continues {string.Join(", ", Continued.Select(continued => continued.Length == 0 ? "unversioned" : $"'{continued}'"))}): "
              + "finish such runs on workers of the build that started them before upgrading, or run the new build on a task hub of its own (docs/upgrades.md).";
}
