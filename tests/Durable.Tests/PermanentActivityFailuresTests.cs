using DurableTrainer.Application.Ports;
using DurableTrainer.Domain.Training;
using DurableTrainer.Durable.Adapters;
using Microsoft.DurableTask;

namespace DurableTrainer.Durable.Tests;

public class PermanentActivityFailuresTests
{
    private static readonly CheckpointReference Input = CheckpointReference.ForReplica(RunId.Parse("run-1"), 3, 0);

    private static TaskFailureDetails Failure(Type type) => new(type.FullName!, "what went wrong", null, null, null);

    [Theory]
    [InlineData(typeof(CheckpointCorruptException))]
    [InlineData(typeof(ModelFileException))]
    [InlineData(typeof(DatasetException))]
    public void AFailureRetryingCannotMend_IsNotRetried_AndComesBackAsTheApplicationsException(Type type)
    {
        Assert.True(PermanentActivityFailures.IsPermanent(Failure(type)));
        Exception rebuilt = PermanentActivityFailures.Rebuild(Failure(type), Input)!;

        Assert.IsType(type, rebuilt);
        Assert.Contains("what went wrong", rebuilt.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACorruptCheckpoint_NamesWhatTheActivityRead()
    {
        var rebuilt = (CheckpointCorruptException)PermanentActivityFailures.Rebuild(Failure(typeof(CheckpointCorruptException)), Input)!;

        Assert.Equal(Input, rebuilt.Reference);
    }

    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(IOException))]
    public void OtherFailures_AreRetriedAndLeftAsTheyAre(Type type)
    {
        Assert.False(PermanentActivityFailures.IsPermanent(Failure(type)));
        Assert.Null(PermanentActivityFailures.Rebuild(Failure(type), Input));
    }
}
