using System.Text;

namespace DurableTrainer.TestSupport;

/// <summary>
/// Requests with a body, the body disposed once the answer is in: <see cref="HttpClient"/> does not dispose the
/// content it sends.
/// </summary>
internal static class HttpBodies
{
    /// <summary>POSTs <paramref name="json"/> as <c>application/json; charset=utf-8</c>.</summary>
    public static async Task<HttpResponseMessage> PostJsonAsync(this HttpClient http, Uri uri, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await http.PostAsync(uri, content);
    }

    /// <summary>PUTs <paramref name="bytes"/> as they are, with no content type.</summary>
    public static async Task<HttpResponseMessage> PutBytesAsync(this HttpClient http, Uri uri, byte[] bytes)
    {
        using var content = new ByteArrayContent(bytes);
        return await http.PutAsync(uri, content);
    }
}
