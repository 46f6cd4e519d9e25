// What the Function app's identity may do on the Sentinel workspace, and nothing more:
// read it (Log Analytics Reader, for the hunts' queries) and, only when incidents are
// enabled, manage incidents (Microsoft Sentinel Responder).
targetScope = 'resourceGroup'

param workspaceName string
param principalId string
param enableIncidents bool

var logAnalyticsReader = '73c42c96-874c-492b-b04d-ab87d138a893'
var sentinelResponder = '3e150937-b8fe-4cfb-8069-0eccf23b7ead'

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principalId, logAnalyticsReader)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', logAnalyticsReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource responder 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (enableIncidents) {
  name: guid(workspace.id, principalId, sentinelResponder)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', sentinelResponder)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

@description('The workspace ID (GUID) the query API takes.')
output customerId string = workspace.properties.customerId
