using DurableTrainer.Api.Requests;
namespace DurableTrainer.Api;

/// <summary>Reads a request body, stopping one byte past the limit so an oversized body is never buffered whole.</summary>
public static class RequestBody
{
    /// <summary>A JSON body, up to the API's limit for requests.</summary>
    public static Task<byte[]> ReadAsync(Stream body, CancellationToken cancellationToken) =>
        ReadAsync(body, TrainingRequestReader.MaxBodyBytes, cancellationToken);

    /// <summary>Up to <paramref name="maxBytes"/> + 1 bytes: a result longer than the limit means the body was over it.</summary>
    public static async Task<byte[]> ReadAsync(Stream body, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        int limit = maxBytes + 1;
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while (buffer.Length < limit && (read = await body.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit - buffer.Length)), cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
