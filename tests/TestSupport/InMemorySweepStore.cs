using System.Collections.Concurrent;
using System.Text.Json;
using DurableTrainer.Application.Contracts;
using DurableTrainer.Application.Ports;

namespace DurableTrainer.TestSupport;

/// <summary>Sweep documents in memory, round-tripped through the same JSON as the blob store so tests see what storage would give back.</summary>
public sealed class InMemorySweepStore : ISweepStore
{
    private readonly ConcurrentDictionary<string, byte[]> _documents = new(StringComparer.Ordinal);

    public int RecordWrites { get; private set; }

    public Task SaveDefinitionAsync(SweepDefinition definition, CancellationToken cancellationToken = default)
    {
        _documents[$"{definition.SweepId}/definition"] = JsonSerializer.SerializeToUtf8Bytes(definition, SpecificationJson.Options);
        return Task.CompletedTask;
    }

    public Task<SweepDefinition?> GetDefinitionAsync(string sweepId, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read<SweepDefinition>($"{sweepId}/definition"));

    public Task SaveRecordAsync(SweepRecord record, CancellationToken cancellationToken = default)
    {
        _documents[$"{record.SweepId}/status"] = JsonSerializer.SerializeToUtf8Bytes(record, SpecificationJson.Options);
        RecordWrites++;
        return Task.CompletedTask;
    }

    public Task<SweepRecord?> GetRecordAsync(string sweepId, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read<SweepRecord>($"{sweepId}/status"));

    private T? Read<T>(string key)
        where T : class =>
        _documents.TryGetValue(key, out byte[]? json) ? JsonSerializer.Deserialize<T>(json, SpecificationJson.Options) : null;
}
