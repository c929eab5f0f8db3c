using System.Reflection;
using System.Text.Json;
using DurableTrainer.Api;
using DurableTrainer.Durable;
using Microsoft.Azure.Functions.Worker;

namespace DurableTrainer.Functions.Tests;

/// <summary>
/// The Functions app's <c>[Function]</c> wrappers are written by hand (the source generator is not served); these
/// tests hold them to the tables the self-hosted worker registers from, one for one.
/// </summary>
public class FunctionTableTests
{
    private static readonly MethodInfo[] FunctionMethods = typeof(TrainingOrchestrationFunctions).Assembly.GetTypes()
        .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
        .Where(method => method.GetCustomAttribute<FunctionAttribute>() is not null)
        .ToArray();

    private static string NameOf(MethodInfo method) => method.GetCustomAttribute<FunctionAttribute>()!.Name;

    private static ParameterInfo? Trigger<TAttribute>(MethodInfo method)
        where TAttribute : Attribute =>
        method.GetParameters().SingleOrDefault(parameter => parameter.GetCustomAttribute<TAttribute>() is not null);

    private static DurableTaskKind? KindOf(MethodInfo method) =>
        Trigger<OrchestrationTriggerAttribute>(method) is not null ? DurableTaskKind.Orchestration
        : Trigger<ActivityTriggerAttribute>(method) is not null ? DurableTaskKind.Activity
        : null;

    [Fact]
    public void DurableFunctions_AreExactlyTheTasksTheWorkerRegisters()
    {
        var functions = FunctionMethods.Where(method => KindOf(method) is not null).Select(method => (NameOf(method), KindOf(method)!.Value)).Order();
        var tasks = DurableTasks.All.Select(task => (task.Name, task.Kind)).Order();

        Assert.Equal(tasks, functions);
    }

    [Fact]
    public void EachDurableFunction_TakesAndReturnsWhatItsTaskDoes()
    {
        foreach (DurableTaskRegistration task in DurableTasks.All)
        {
            MethodInfo function = Assert.Single(FunctionMethods, method => NameOf(method) == task.Name);
            Assert.True(function.ReturnType == typeof(Task<>).MakeGenericType(task.Output), $"{task.Name} returns {function.ReturnType.Name}, its task {task.Output.Name}.");
            if (task.Kind == DurableTaskKind.Activity)
            {
                Assert.True(Trigger<ActivityTriggerAttribute>(function)!.ParameterType == task.Input, $"{task.Name} takes another input than its task's {task.Input.Name}.");
            }
        }
    }

    [Fact]
    public void BuildOutput_ListsEveryTaskUnderItsTrigger()
    {
        using JsonDocument metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestSupport.RepositoryPaths.SourceOutput("Functions"), "functions.metadata")));
        foreach (DurableTaskRegistration task in DurableTasks.All)
        {
            string trigger = task.Kind == DurableTaskKind.Orchestration ? "orchestrationTrigger" : "activityTrigger";
            JsonElement function = Assert.Single(metadata.RootElement.EnumerateArray(), function => function.GetProperty("name").GetString() == task.Name);
            Assert.Contains(function.GetProperty("bindings").EnumerateArray(), binding => binding.GetProperty("type").GetString() == trigger);
        }
    }

    [Fact]
    public void HttpFunctions_AreExactlyTheSharedRoutesOfTheTable()
    {
        var functions = FunctionMethods
            .Select(method => (Method: method, Trigger: Trigger<HttpTriggerAttribute>(method)?.GetCustomAttribute<HttpTriggerAttribute>()))
            .Where(function => function.Trigger is not null)
            .Select(function => (
                NameOf(function.Method),
                string.Join(",", function.Trigger!.Methods!.Select(method => method.ToUpperInvariant())),
                function.Trigger.Route,
                function.Method.GetParameters().Any(parameter => parameter.GetCustomAttribute<DurableClientAttribute>() is not null)))
            .Order();
        var routes = ApiRoutes.All.Where(route => !route.WorkerOnly)
            .Select(route => (route.Name, route.Method, (string?)route.Template, route.UsesDurableClient))
            .Order();

        Assert.Equal(routes, functions);
    }

    [Fact]
    public void Table_NamesEachRouteOnce()
    {
        Assert.Equal(ApiRoutes.All.Count, ApiRoutes.All.Select(route => route.Name).Distinct().Count());
        Assert.Equal(ApiRoutes.All.Count, ApiRoutes.All.Select(route => (route.Method, route.WorkerPath)).Distinct().Count());
    }
}
