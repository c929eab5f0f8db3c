using System.Collections.Concurrent;
using System.Net;
using DurableTrainer.Cli.LocalStack;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace DurableTrainer.FaultHarness;

/// <summary>The kinds of fault the proxy injects, as Azure Storage and the network between produce them.</summary>
public enum StorageFault
{
    /// <summary>503 with <c>x-ms-error-code: ServerBusy</c>, the throttling answer the SDKs back off from; nothing reaches storage.</summary>
    ServerBusy,

    /// <summary>500 <c>InternalError</c>; nothing reaches storage.</summary>
    InternalError,

    /// <summary>The request reaches storage and is carried out; its answer never reaches the caller (the connection drops).</summary>
    LostResponse,

    /// <summary>The request is carried out; the answer's status and headers arrive, then the connection resets halfway through its body.</summary>
    ResetMidBody,

    /// <summary>The request is held before it is forwarded.</summary>
    Slow,
}

/// <summary>How often each fault happens (a share of all requests, each drawn on its own) and how slow a slow answer is.</summary>
public sealed record StorageFaultRates(
    double ServerBusy = 0,
    double InternalError = 0,
    double LostResponse = 0,
    double ResetMidBody = 0,
    double Slow = 0,
    int SlowMilliseconds = 1500)
{
    public static StorageFaultRates None { get; } = new();

    public double Of(StorageFault fault) => fault switch
    {
        StorageFault.ServerBusy => ServerBusy,
        StorageFault.InternalError => InternalError,
        StorageFault.LostResponse => LostResponse,
        StorageFault.ResetMidBody => ResetMidBody,
        _ => Slow,
    };

    public override string ToString() => string.Join(", ", Enum.GetValues<StorageFault>().Where(fault => Of(fault) > 0).Select(fault => $"{fault} {Of(fault):P1}"));
}

/// <summary>
/// A storage that misbehaves: a reverse proxy in front of Azurite's blob, queue and table services (one port each)
/// that forwards every request as it came (the raw target, every header, so shared-key signatures still hold) and
/// injects faults at the rates set. A worker given <see cref="ConnectionString"/> meets the faults in every storage
/// call it makes: checkpoints, the journal, dataset reads and the durable engine's queues and tables.
/// </summary>
public sealed class StorageFaultProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase) { "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Expect", "Host" };

    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None, UseProxy = false })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly Dictionary<int, int> _upstreamPorts;
    private readonly ConcurrentDictionary<StorageFault, int> _counts = new();
    private readonly Random _random;
    private readonly Lock _draw = new();
    private long _requests;
    private long _hiddenMessages;

    private StorageFaultProxy(WebApplication app, int[] ports, IReadOnlyList<int> upstreamPorts, int seed)
    {
        _app = app;
        Ports = ports;
        _upstreamPorts = ports.Zip(upstreamPorts).ToDictionary(pair => pair.First, pair => pair.Second);
        _random = new Random(seed);
    }

    /// <summary>The faults to inject from now on; <see cref="StorageFaultRates.None"/> makes the proxy a plain relay.</summary>
    private readonly ConcurrentQueue<string> _injected = new();

    public StorageFaultRates Rates { get; set; } = StorageFaultRates.None;

    /// <summary>The proxy's ports for blob, queue and table, in Azurite's order.</summary>
    public IReadOnlyList<int> Ports { get; }

    public string ConnectionString => AzuriteServer.ConnectionStringFor(Ports[0], Ports[1], Ports[2]);

    /// <summary>Requests relayed so far, faulty or not.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>
    /// Queue messages taken by a dequeue whose answer was dropped: nobody sees them again until their visibility
    /// timeout runs out, however quickly the client retries.
    /// </summary>
    public long HiddenMessages => Interlocked.Read(ref _hiddenMessages);

    /// <summary>How many of each fault were injected so far.</summary>
    /// <summary>Every fault injected: when (UTC), which, and the request it struck; for finding where a faulty run's time went.</summary>
    public IReadOnlyCollection<string> Injected => _injected;

    public IReadOnlyDictionary<StorageFault, int> Counts => Enum.GetValues<StorageFault>().ToDictionary(fault => fault, fault => _counts.GetValueOrDefault(fault));

    /// <summary>Starts a proxy on free loopback ports in front of Azurite's blob, queue and table ports.</summary>
    public static async Task<StorageFaultProxy> StartAsync(IReadOnlyList<int> azuritePorts, int seed)
    {
        ArgumentNullException.ThrowIfNull(azuritePorts);
        int[] ports = ChildProcess.FreePorts(azuritePorts.Count);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            foreach (int port in ports)
            {
                kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http1);
            }
        });
        WebApplication app = builder.Build();
        var proxy = new StorageFaultProxy(app, ports, azuritePorts, seed);
        app.Run(proxy.RelayAsync);
        await app.StartAsync();
        return proxy;
    }

    private async Task RelayAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        StorageFault? fault = Draw();
        if (fault is { } injected)
        {
            _counts.AddOrUpdate(injected, 1, (_, count) => count + 1);
            _injected.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {injected} {context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
        }

        switch (fault)
        {
            case StorageFault.ServerBusy:
                await RefuseAsync(context, HttpStatusCode.ServiceUnavailable, "ServerBusy", "The server is busy.");
                return;
            case StorageFault.InternalError:
                await RefuseAsync(context, HttpStatusCode.InternalServerError, "InternalError", "The server encountered an internal error.");
                return;
            case StorageFault.Slow:
                await Task.Delay(Rates.SlowMilliseconds, context.RequestAborted);
                break;
        }

        using HttpRequestMessage request = Forwarded(context);
        using HttpResponseMessage response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        byte[] body = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        if (fault == StorageFault.LostResponse)
        {
            if (HttpMethods.IsGet(context.Request.Method) && context.Request.Path.Value?.EndsWith("/messages", StringComparison.Ordinal) == true)
            {
                Interlocked.Add(ref _hiddenMessages, System.Text.Encoding.UTF8.GetString(body).Split("<MessageId>").Length - 1);
            }

            context.Abort();
            return;
        }

        context.Response.StatusCode = (int)response.StatusCode;
        foreach (KeyValuePair<string, IEnumerable<string>> header in response.Headers.Concat(response.Content.Headers))
        {
            if (!HopByHop.Contains(header.Key))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }

        if (fault == StorageFault.ResetMidBody)
        {
            await context.Response.Body.WriteAsync(body.AsMemory(0, body.Length / 2), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            context.Abort();
            return;
        }

        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        }
    }

    private StorageFault? Draw()
    {
        StorageFaultRates rates = Rates;
        double draw;
        lock (_draw)
        {
            draw = _random.NextDouble();
        }

        foreach (StorageFault fault in Enum.GetValues<StorageFault>())
        {
            draw -= rates.Of(fault);
            if (draw < 0)
            {
                return fault;
            }
        }

        return null;
    }

    private HttpRequestMessage Forwarded(HttpContext context)
    {
        HttpRequest incoming = context.Request;
        string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (incoming.Path + incoming.QueryString);
        var request = new HttpRequestMessage(new HttpMethod(incoming.Method), $"http://127.0.0.1:{_upstreamPorts[context.Connection.LocalPort]}{target}");
        if (incoming.ContentLength > 0 || incoming.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(incoming.Body);
        }

        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in incoming.Headers)
        {
            if (HopByHop.Contains(header.Key))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!))
            {
                request.Content?.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!);
            }
        }

        return request;
    }

    private static async Task RefuseAsync(HttpContext context, HttpStatusCode status, string code, string message)
    {
        context.Response.StatusCode = (int)status;
        context.Response.Headers["x-ms-error-code"] = code;
        context.Response.ContentType = "application/xml";
        await context.Response.WriteAsync($"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>", context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
