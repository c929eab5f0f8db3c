// Entry point of `azd provision`: everything the DurableTrainer Functions app needs, in one resource group per azd
// environment. Subscription scope so that the template creates that resource group itself.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment. It names the resource group, salts every resource name and tags every resource.')
param environmentName string

@minLength(1)
@description('Azure region for every resource; it must offer the Flex Consumption plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Durable Task hub name (3-45 letters and digits, starting with a letter). Change it to start on a clean hub.')
@minLength(3)
@maxLength(45)
param taskHubName string = 'DurableTrainer'

@description('Memory per Flex Consumption instance in MB: 4096 brings 2 vCPUs for a chunk, 2048 brings 1.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 4096

@description('Most Flex Consumption instances per function group. A round needs one instance per replica (at most 16).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

// The app reads and writes checkpoints here; the name matches DurableTask:CheckpointContainer's default.
var checkpointContainerName = 'checkpoints'
// Same inputs, same names: re-running azd provision for an environment updates its resources in place.
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var deploymentContainerName = 'app-package-${resourceToken}'
var tags = {
  'azd-env-name': environmentName
}

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'core/identity/user-assigned-identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: 'id-func-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'core/storage/storage-account.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    containerNames: [
      checkpointContainerName
      deploymentContainerName
    ]
  }
}

module monitoring 'core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module roleAssignments 'app/role-assignments.bicep' = {
  name: 'role-assignments'
  scope: resourceGroup
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module functions 'app/functions.bicep' = {
  name: 'functions'
  scope: resourceGroup
  params: {
    name: 'func-${resourceToken}'
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityName: identity.outputs.name
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    checkpointContainerName: checkpointContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    taskHubName: taskHubName
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
  // The host connects to storage as soon as the app exists; granting the roles first spares it a failed start.
  dependsOn: [
    roleAssignments
  ]
}

// azd stores these in the environment (.azure/<env>/.env) after provisioning.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_FUNCTION_APP_NAME string = functions.outputs.name
output AZURE_FUNCTION_APP_URI string = functions.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output CHECKPOINT_CONTAINER_NAME string = checkpointContainerName
output TASK_HUB_NAME string = taskHubName
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
