// The hunt Function app and what it needs: Flex Consumption (Linux, Python 3.11), storage,
// Application Insights, a system-assigned identity, Key Vault references for secrets, and
// least-privilege roles on the Sentinel workspace (see modules/workspace-access.bicep).
// Deploy: README, section "Deploy to Azure".
targetScope = 'resourceGroup'

@description('Short name the resource names are made from (letters and digits).')
@minLength(3)
@maxLength(11)
param name string = 'rmmhunt'

param location string = resourceGroup().location

@description('Subscription of the Log Analytics workspace Sentinel runs on.')
param sentinelSubscriptionId string = subscription().subscriptionId

@description('Resource group of the Sentinel workspace.')
param sentinelResourceGroup string

@description('Name of the Sentinel (Log Analytics) workspace.')
param sentinelWorkspaceName string

@description('Grant Microsoft Sentinel Responder, so the sentinel responder may create and update incidents.')
param enableIncidents bool = false

@description('Timer schedule (NCRONTAB with seconds, UTC): hourly at minute 5.')
param schedule string = '0 5 * * * *'

@description('Further app settings (HUNT_RESPONDERS, HUNT_OWNERSHIP_SOURCES, ...); never secrets.')
param settings object = {}

@description('Names of secret app settings (e.g. HUNT_TEAMS_WEBHOOK_URL); each reads Key Vault secret <name lower-cased, _ as ->.')
param secretSettings array = []

var suffix = uniqueString(resourceGroup().id, name)
var storageName = take('st${toLower(name)}${suffix}', 24)
var deploymentContainer = 'deployments'

// Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false // the app reaches storage with its identity only
    supportsHttpsTrafficOnly: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deployments 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainer
}

resource telemetryWorkspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${name}-${suffix}'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${name}-${suffix}'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: telemetryWorkspace.id
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: take('kv-${name}-${suffix}', 24)
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${name}-${suffix}'
  location: location
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: 'func-${name}-${suffix}'
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: 40
        instanceMemoryMB: 2048
      }
      runtime: { name: 'python', version: '3.11' }
    }
  }
}

module sentinelAccess 'modules/workspace-access.bicep' = {
  name: 'sentinel-access-${suffix}'
  scope: resourceGroup(sentinelSubscriptionId, sentinelResourceGroup)
  params: {
    workspaceName: sentinelWorkspaceName
    principalId: app.identity.principalId
    enableIncidents: enableIncidents
  }
}

var secretReferences = toObject(secretSettings, setting => setting,
  setting => '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=${toLower(replace(setting, '_', '-'))})')

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: union({
    AzureWebJobsStorage__accountName: storage.name
    APPLICATIONINSIGHTS_CONNECTION_STRING: insights.properties.ConnectionString
    HUNT_SCHEDULE: schedule
    HUNT_QUERY_SOURCE: 'loganalytics'
    HUNT_LOG_ANALYTICS_WORKSPACE_ID: sentinelAccess.outputs.customerId
    HUNT_STATE_STORE: 'azuretables'
    HUNT_STATE_TABLE_ENDPOINT: storage.properties.primaryEndpoints.table
    HUNT_SENTINEL_SUBSCRIPTION_ID: sentinelSubscriptionId
    HUNT_SENTINEL_RESOURCE_GROUP: sentinelResourceGroup
    HUNT_SENTINEL_WORKSPACE: sentinelWorkspaceName
  }, settings, secretReferences)
}

resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, app.id, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, app.id, storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, app.id, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output functionAppName string = app.name
output keyVaultName string = vault.name
output principalId string = app.identity.principalId
