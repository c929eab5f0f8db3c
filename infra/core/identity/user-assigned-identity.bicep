// A user-assigned identity rather than the app's system-assigned one: it exists before the function app, so its
// role assignments can be granted first and the Functions host starts with storage access already in place (a
// system-assigned identity only appears with the app, whose host would then start without permissions).

@description('Name of the identity.')
param name string

@description('Azure region of the identity.')
param location string

@description('Tags for the identity.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output name string = identity.name
output resourceId string = identity.id
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
