using DurableTrainer.Api.Requests;
namespace DurableTrainer.Api;

/// <summary>Reads a request body, stopping one byte past the API's limit so an oversized body is never buffered whole.</summary>
public static class RequestBody
{
    public static async Task<byte[]> ReadAsync(Stream body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        int limit = TrainingRequestReader.MaxBodyBytes + 1;
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[8192];
        int read;
        while (buffer.Length < limit && (read = await body.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit - buffer.Length)), cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
