using DurableTrainer.TestSupport;

namespace DurableTrainer.Architecture.Tests;

/// <summary>Test projects mirror the src projects they test, so a newcomer finds a project's tests by its name.</summary>
public class TestLayoutTests
{
    // Projects that test the whole rather than one src project: the running stack, the layering, the Azure templates.
    private static readonly string[] WholeSystemTests = ["EndToEnd.Tests", "Architecture.Tests", "Infrastructure.Bicep.Tests"];

    // Src projects tested through others: the wire contracts by the API's and dtrain's tests, the worker end to end.
    private static readonly string[] TestedThroughOthers = ["Contracts", "Worker"];

    /// <summary>The projects under a top-level folder: each directory holding a project file of its own name.</summary>
    private static string[] Projects(string folder) =>
        Directory.GetDirectories(Path.Combine(RepositoryPaths.Root, folder))
            .Where(directory => File.Exists(Path.Combine(directory, Path.GetFileName(directory) + ".csproj")))
            .Select(directory => Path.GetFileName(directory)!)
            .Order(StringComparer.Ordinal)
            .ToArray();

    [Fact]
    public void EveryTestProject_IsNamedForTheSrcProjectItTests()
    {
        string[] sources = Projects("src");
        string[] tested = Projects("tests").Where(name => name.EndsWith(".Tests", StringComparison.Ordinal) && !WholeSystemTests.Contains(name)).Select(name => name[..^".Tests".Length]).ToArray();

        Assert.All(tested, name => Assert.True(sources.Contains(name), $"tests/{name}.Tests names no project of src/."));
    }

    [Fact]
    public void EverySrcProject_HasItsTestProject()
    {
        string[] tests = Projects("tests");

        Assert.All(Projects("src").Except(TestedThroughOthers), name => Assert.True(tests.Contains(name + ".Tests"), $"src/{name} has no tests/{name}.Tests."));
    }
}
