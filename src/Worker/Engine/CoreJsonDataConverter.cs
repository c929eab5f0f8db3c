using System.Text.Json;
using DurableTrainer.Application.Contracts;

namespace DurableTrainer.Worker.Engine;

/// <summary>
/// DurableTask.Core's client serializes with Newtonsoft (and writes "$type" fields) by default, while the shim that
/// runs our orchestrations reads with System.Text.Json. This converter makes the client write what the shim reads.
/// </summary>
public sealed class CoreJsonDataConverter : DurableTask.Core.Serializing.DataConverter
{
    public override string Serialize(object value) =>
        value is null ? null! : JsonSerializer.Serialize(value, value.GetType(), MessageJson.Options);

    public override string Serialize(object value, bool formatted) => Serialize(value);

    public override object Deserialize(string data, Type objectType) =>
        data is null ? null! : JsonSerializer.Deserialize(data, objectType, MessageJson.Options)!;
}
