using System.Reflection;
using System.Xml.Linq;

namespace DurableTrainer.Architecture.Tests;

public class LayerDependencyTests
{
    private static readonly Assembly Domain = typeof(Domain.Training.TrainingSession).Assembly;
    private static readonly Assembly Application = typeof(Application.Training.TrainingOrchestrator).Assembly;
    private static readonly Assembly Durable = typeof(Durable.Orchestrations.TrainingOrchestration).Assembly;
    private static readonly Assembly TorchSharpAdapter = typeof(Infrastructure.TorchSharp.TorchSharpTrainingExecutor).Assembly;
    private static readonly Assembly StorageAdapter = typeof(Infrastructure.Storage.BlobCheckpointStore).Assembly;
    private static readonly Assembly Contracts = typeof(Contracts.RunSummary).Assembly;
    private static readonly Assembly CommandLine = typeof(Cli.Client.TrainingServerClient).Assembly;

    private static string[] References(Assembly assembly) =>
        assembly.GetReferencedAssemblies().Select(name => name.Name!).ToArray();

    private static bool IsFramework(string name) => name is "System" or "netstandard" or "mscorlib" || name.StartsWith("System.", StringComparison.Ordinal);

    [Fact]
    public void Domain_ReferencesOnlyTheFramework()
    {
        Assert.Equal("DurableTrainer.Domain", Domain.GetName().Name);
        Assert.All(References(Domain), name => Assert.True(IsFramework(name), $"Domain references {name}."));
    }

    [Fact]
    public void DomainProject_DeclaresNoReferencesAtAll()
    {
        string project = Path.Combine(TestSupport.RepositoryPaths.Root, "src", "Domain", "Domain.csproj");
        var references = XDocument.Load(project).Descendants()
            .Where(element => element.Name.LocalName is "PackageReference" or "ProjectReference" or "Reference");

        Assert.Empty(references);
    }

    [Fact]
    public void Application_ReferencesOnlyTheDomainTheFrameworkAndTheContainerAbstractions()
    {
        Assert.Equal("DurableTrainer.Application", Application.GetName().Name);
        Assert.All(References(Application), name =>
            Assert.True(IsFramework(name) || name is "DurableTrainer.Domain" or "Microsoft.Extensions.DependencyInjection.Abstractions", $"Application references {name}."));
    }

    [Theory]
    [InlineData("DurableTrainer.Durable")]
    [InlineData("DurableTrainer.Api")]
    public void EngineAdapters_DoNotReachIntoInfrastructure(string assemblyName)
    {
        Assembly assembly = assemblyName == "DurableTrainer.Durable" ? Durable : typeof(Api.Requests.TrainingRequestReader).Assembly;

        Assert.All(References(assembly), name => Assert.False(
            name.StartsWith("DurableTrainer.Infrastructure", StringComparison.Ordinal) || name.StartsWith("TorchSharp", StringComparison.Ordinal) || name.StartsWith("Azure.", StringComparison.Ordinal),
            $"{assemblyName} references {name}."));
    }

    [Fact]
    public void Contracts_ReferenceOnlyTheApplicationTheDomainAndTheFramework()
    {
        Assert.Equal("DurableTrainer.Contracts", Contracts.GetName().Name);
        Assert.All(References(Contracts), name =>
            Assert.True(IsFramework(name) || name is "DurableTrainer.Application" or "DurableTrainer.Domain", $"Contracts references {name}."));
    }

    [Fact]
    public void CommandLine_TalksHttpThroughTheContracts_NotThroughTheApiOrTheEngine()
    {
        Assert.Equal("dtrain", CommandLine.GetName().Name);
        Assert.Contains("DurableTrainer.Contracts", References(CommandLine));
        Assert.All(References(CommandLine), name => Assert.False(
            name is "DurableTrainer.Api" or "DurableTrainer.Durable" or "DurableTrainer.Worker" || name.StartsWith("DurableTrainer.Infrastructure", StringComparison.Ordinal)
                || name.Contains("DurableTask", StringComparison.Ordinal) || name.StartsWith("TorchSharp", StringComparison.Ordinal),
            $"dtrain references {name}."));
    }

    [Fact]
    public void Infrastructure_DoesNotDependOnTheDurableEngineOrEachOther()
    {
        foreach (Assembly assembly in new[] { TorchSharpAdapter, StorageAdapter })
        {
            Assert.All(References(assembly), name => Assert.False(
                name.Contains("DurableTask", StringComparison.Ordinal) || name == "DurableTrainer.Durable" ||
                (name.StartsWith("DurableTrainer.Infrastructure", StringComparison.Ordinal) && name != assembly.GetName().Name),
                $"{assembly.GetName().Name} references {name}."));
        }
    }

    [Fact]
    public void OnlyTheTorchSharpAdapterReferencesTorchSharp()
    {
        Assert.Contains("TorchSharp", References(TorchSharpAdapter));
        foreach (Assembly assembly in new[] { Domain, Application, Durable, StorageAdapter })
        {
            Assert.DoesNotContain("TorchSharp", References(assembly));
        }
    }
}
