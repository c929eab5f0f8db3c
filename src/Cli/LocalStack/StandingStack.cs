using System.Diagnostics;
using System.Text.Json;

namespace DurableTrainer.Cli.LocalStack;

/// <summary>
/// The local stack <c>dtrain up</c> keeps standing: its note beside the data (<c>.azurite/stack.json</c>) says where
/// its worker listens, so every other command on the same data uses it instead of starting another. A note whose
/// process is gone, or whose worker does not answer, is stale and removed.
/// </summary>
public static class StandingStack
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>What the note holds: the worker's address, the blob endpoint, and the process of <c>dtrain up</c>.</summary>
    public sealed record Note(Uri Address, Uri BlobEndpoint, int ProcessId);

    public static string NotePath(string root) => Path.Combine(root, ".azurite", "stack.json");

    /// <summary>The standing stack's note when its process lives and its worker answers; null otherwise.</summary>
    public static async Task<Note?> FindAsync(CancellationToken cancellationToken = default)
    {
        string path = NotePath(RepositoryLayout.FindRoot());
        Note? note;
        try
        {
            note = JsonSerializer.Deserialize<Note>(await File.ReadAllTextAsync(path, cancellationToken), Json);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return null;
        }

        if (note is not null && IsAlive(note.ProcessId) && await AnswersAsync(note.Address, cancellationToken))
        {
            return note;
        }

        File.Delete(path);
        return null;
    }

    public static void Write(Note note)
    {
        ArgumentNullException.ThrowIfNull(note);
        string path = NotePath(RepositoryLayout.FindRoot());
        File.WriteAllText(path + ".partial", JsonSerializer.Serialize(note, Json));
        File.Move(path + ".partial", path, overwrite: true);
    }

    /// <summary>Removes the note if it is this process's.</summary>
    public static void Remove(int processId)
    {
        string path = NotePath(RepositoryLayout.FindRoot());
        try
        {
            if (JsonSerializer.Deserialize<Note>(File.ReadAllText(path), Json)?.ProcessId == processId)
            {
                File.Delete(path);
            }
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            // Nothing of ours to remove.
        }
    }

    private static bool IsAlive(int processId)
    {
        try
        {
            using Process process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task<bool> AnswersAsync(Uri address, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using HttpResponseMessage health = await http.GetAsync(new Uri(address, "api/health"), cancellationToken);
            return health.IsSuccessStatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
