using Azure.Storage.Blobs;

namespace DurableTrainer.Worker.Engine;

/// <summary>Reads a storage connection string once at start-up: is it one at all, and where does it point (for log lines, without the key).</summary>
public static class StorageEndpoints
{
    /// <summary>Null when the connection string can be used; otherwise why not.</summary>
    public static string? Problem(string connectionString)
    {
        try
        {
            _ = new BlobServiceClient(connectionString);
            return null;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or InvalidOperationException)
        {
            return exception.Message.ReplaceLineEndings(" ");
        }
    }

    /// <summary>A client that tries once, briefly: for telling at start-up whether storage is there and takes the credentials.</summary>
    public static BlobServiceClient Probe(string connectionString)
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 0;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        return new BlobServiceClient(connectionString, options);
    }

    /// <summary>The blob endpoint the connection string names (account and host, never the key).</summary>
    public static string Describe(string connectionString)
    {
        try
        {
            return new BlobServiceClient(connectionString).Uri.ToString().TrimEnd('/');
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or InvalidOperationException)
        {
            return "(unreadable connection string)";
        }
    }
}
