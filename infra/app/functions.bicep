// The DurableTrainer Functions app: a Linux, .NET isolated app on a Flex Consumption plan.
//
// Why Flex Consumption (FC1) and not Elastic Premium:
// - Chunks run minutes of CPU-bound TorchSharp work. Flex allows an unbounded functionTimeout (host.json asks for
//   30 minutes) and gives running executions up to 60 minutes of grace on scale-in. A chunk cut short anyway is
//   redelivered and restarts from its start checkpoint, so nothing stronger is needed.
// - 4096 MB instances bring 2 vCPUs. host.json runs one activity per instance (maxConcurrentActivityFunctions: 1),
//   so a chunk has both cores, and replicas of a round fan out to separate instances.
// - Storage stays keyless. Flex reads the deployment package (about 500 MB with the libtorch natives) from a blob
//   container with the managed identity. Elastic Premium needs an Azure Files content share, whose connection
//   string must carry an account key, which allowSharedKeyAccess: false forbids.
// - It scales to zero between training runs; Elastic Premium bills at least one instance around the clock.
// Trade-offs: one Flex instance has at most 2 vCPUs (EP3 would have 4), and the first chunk after idle pays a cold
// start that includes fetching the large package.

@description('Name of the function app.')
param name string

@description('Name of the Flex Consumption plan (one app per plan).')
param planName string

@description('Azure region of the plan and the app.')
param location string

@description('Tags for the plan and the app; the app also gets azd-service-name.')
param tags object

@description('Name of the user-assigned identity the app runs as.')
param identityName string

@description('Name of the storage account for the host, the durable backend, the package and checkpoints.')
param storageAccountName string

@description('Blob container that holds the deployment package.')
param deploymentContainerName string

@description('Private blob container for training checkpoints.')
param checkpointContainerName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Durable Task hub name, read by host.json as %TaskHubName%.')
param taskHubName string

@description('Memory per instance in MB: 2048 brings 1 vCPU, 4096 brings 2.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int

@description('Most instances per function group.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// libtorch intra-op threads: the instance size fixes the cores, so say it instead of trusting the CPU count the
// sandbox reports (0 would mean cores / concurrent activities, and an over-reported count oversubscribes the CPU).
var trainingThreads = instanceMemoryMB == 4096 ? 2 : 1

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    // Linux.
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  // azd deploys the `functions` service of azure.yaml to the resource carrying this tag.
  tags: union(tags, { 'azd-service-name': 'functions' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      // Flex takes the worker runtime from here: it lists the FUNCTIONS_WORKER_RUNTIME and
      // FUNCTIONS_EXTENSION_VERSION app settings as unsupported, so neither is set below.
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [
        // Host storage through the identity: no connection string exists, because the account has no usable keys.
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storageAccount.name
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identity.properties.clientId
        }
        {
          name: 'TaskHubName'
          value: taskHubName
        }
        // The self-hosted worker reads checkpoints through DurableTask:StorageConnectionString, a connection string;
        // that cannot work without shared keys. The Functions app builds its blob client from these two settings
        // instead (account name plus the identity's client id, in the AzureWebJobsStorage__* style).
        {
          name: 'CheckpointStorage__accountName'
          value: storageAccount.name
        }
        {
          name: 'CheckpointStorage__clientId'
          value: identity.properties.clientId
        }
        {
          name: 'DurableTask__CheckpointContainer'
          value: checkpointContainerName
        }
        {
          name: 'Training__Threads'
          value: string(trainingThreads)
        }
        // Fashion-MNIST ships inside the deployment package (src/Functions copies it at publish time); a relative
        // folder is resolved against the app's own directory.
        {
          name: 'Training__DataDirectory'
          value: 'data/fashion-mnist'
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: applicationInsights.properties.ConnectionString
        }
        // Application Insights accepts only Entra-authenticated telemetry (local auth is disabled).
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identity.properties.clientId};Authorization=AAD'
        }
      ]
    }
  }
}

output name string = functionApp.name
output uri string = 'https://${functionApp.properties.defaultHostName}'
