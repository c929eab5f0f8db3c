// Data-plane roles for the function app's identity. With shared keys disabled on the account these roles are the
// only way in, so each one below is needed, and none grants more than the app uses.

@description('Principal (object) id of the function app\'s user-assigned identity.')
param principalId string

@description('Name of the storage account in this resource group.')
param storageAccountName string

@description('Name of the Application Insights component in this resource group.')
param applicationInsightsName string

// Built-in role definition ids; they are the same in every tenant.
var storageRoles = [
  {
    // The role the Functions docs ask for on host storage (AzureWebJobsStorage: host locks, keys). It also covers
    // the Flex deployment package container, the durable backend's lease and large-message blobs, and checkpoints.
    name: 'Storage Blob Data Owner'
    id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  }
  {
    // Durable Task control and work-item queues.
    name: 'Storage Queue Data Contributor'
    id: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  }
  {
    // Durable Task history and instances tables.
    name: 'Storage Table Data Contributor'
    id: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  }
]

// Application Insights has local (key) authentication disabled; sending telemetry needs this role instead.
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'

resource storageAccount 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Names are guid(scope, principal, role): stable across re-deployments (so azd up is idempotent) and unique per
// assignment, as role assignment names must be GUIDs.
resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in storageRoles: {
    name: guid(storageAccount.id, principalId, role.id)
    scope: storageAccount
    properties: {
      description: '${role.name} for the DurableTrainer function app'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.id)
      principalId: principalId
      // Skips the directory lookup that can fail while a just-created identity is still replicating.
      principalType: 'ServicePrincipal'
    }
  }
]

resource metricsPublisherAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, monitoringMetricsPublisherRoleId)
  scope: applicationInsights
  properties: {
    description: 'Monitoring Metrics Publisher for the DurableTrainer function app'
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      monitoringMetricsPublisherRoleId
    )
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
