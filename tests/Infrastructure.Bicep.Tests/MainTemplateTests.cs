using System.Text.Json;

namespace DurableTrainer.Infrastructure.Bicep.Tests;

/// <summary>Security and wiring that the deployed resources must have, read from the compiled ARM template.</summary>
public class MainTemplateTests
{
    [Fact]
    public async Task StorageAccount_RefusesSharedKeysPublicBlobsAndOldTls()
    {
        var template = await CompiledMainTemplate.LoadAsync();

        var account = Assert.Single(ArmTemplate.ResourcesOfType(template, "Microsoft.Storage/storageAccounts"));
        var properties = account.Property("properties");
        AssertLiteralFalse(properties, "allowSharedKeyAccess");
        AssertLiteralFalse(properties, "allowBlobPublicAccess");
        Assert.Equal("TLS1_2", properties.Property("minimumTlsVersion").GetString());
    }

    [Fact]
    public async Task BlobContainers_AreAllPrivate()
    {
        var template = await CompiledMainTemplate.LoadAsync();

        var containers = ArmTemplate.ResourcesOfType(template, "Microsoft.Storage/storageAccounts/blobServices/containers");
        Assert.NotEmpty(containers);
        Assert.All(containers, container => Assert.Equal("None", container.Property("properties", "publicAccess").GetString()));
    }

    [Fact]
    public async Task FunctionApp_ReachesStorageThroughItsManagedIdentityOnly()
    {
        var template = await CompiledMainTemplate.LoadAsync();

        var site = Assert.Single(ArmTemplate.ResourcesOfType(template, "Microsoft.Web/sites"));
        var settings = site.Property("properties", "siteConfig", "appSettings").EnumerateArray()
            .ToDictionary(setting => setting.Property("name").GetString()!, setting => setting.Property("value").ToString());

        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Contains("AzureWebJobsStorage__accountName", settings.Keys);
        Assert.Contains("AzureWebJobsStorage__clientId", settings.Keys);
        Assert.Contains("CheckpointStorage__accountName", settings.Keys);
        Assert.Contains("CheckpointStorage__clientId", settings.Keys);
        // A plain AzureWebJobsStorage would be a connection string, which a keyless account cannot honour.
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        Assert.All(settings, setting =>
        {
            Assert.DoesNotContain("AccountKey", setting.Value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("listKeys", setting.Value, StringComparison.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public async Task MainParameters_SupplyEveryRequiredParameterAndNoUnknownOne()
    {
        var template = await CompiledMainTemplate.LoadAsync();
        var declared = template.Property("parameters").EnumerateObject().ToList();
        var required = declared.Where(parameter => !parameter.Value.TryGetProperty("defaultValue", out _)).Select(parameter => parameter.Name);

        using var parametersFile = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(TestEnvironment.InfraDirectory, "main.parameters.json")));
        var supplied = parametersFile.RootElement.Property("parameters").EnumerateObject().Select(parameter => parameter.Name).ToList();

        Assert.All(required, name => Assert.Contains(name, supplied));
        Assert.All(supplied, name => Assert.Contains(name, declared.Select(parameter => parameter.Name)));
    }

    // A literal false, not an expression: a parameter could be switched at deployment time without any test noticing.
    private static void AssertLiteralFalse(JsonElement properties, string name)
    {
        var value = properties.Property(name);
        Assert.True(value.ValueKind == JsonValueKind.False, $"The storage account's {name} must be false, but is {value.GetRawText()}.");
    }
}
