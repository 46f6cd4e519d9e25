"""Column types of the Defender Advanced Hunting tables we read (contracts.md §7).

Exports often carry only some columns, and JSON/CSV say nothing reliable about
types, so the local source types known columns from here and adds the missing
ones as typed NULLs: a hunt that reads a column the export left out still runs.
"""

from __future__ import annotations

_NETWORK_EVENTS = {
    "Timestamp": "datetime", "DeviceId": "string", "DeviceName": "string", "ActionType": "string",
    "RemoteIP": "string", "RemotePort": "int", "RemoteUrl": "string", "LocalIP": "string",
    "LocalPort": "int", "Protocol": "string", "LocalIPType": "string", "RemoteIPType": "string",
    "InitiatingProcessSHA1": "string", "InitiatingProcessSHA256": "string", "InitiatingProcessMD5": "string",
    "InitiatingProcessFileName": "string", "InitiatingProcessFileSize": "long",
    "InitiatingProcessVersionInfoCompanyName": "string", "InitiatingProcessVersionInfoProductName": "string",
    "InitiatingProcessVersionInfoProductVersion": "string",
    "InitiatingProcessVersionInfoInternalFileName": "string",
    "InitiatingProcessVersionInfoOriginalFileName": "string",
    "InitiatingProcessVersionInfoFileDescription": "string", "InitiatingProcessId": "long",
    "InitiatingProcessCommandLine": "string", "InitiatingProcessCreationTime": "datetime",
    "InitiatingProcessFolderPath": "string", "InitiatingProcessParentFileName": "string",
    "InitiatingProcessParentId": "long", "InitiatingProcessParentCreationTime": "datetime",
    "InitiatingProcessAccountDomain": "string", "InitiatingProcessAccountName": "string",
    "InitiatingProcessAccountSid": "string", "InitiatingProcessAccountUpn": "string",
    "InitiatingProcessAccountObjectId": "string", "InitiatingProcessIntegrityLevel": "string",
    "InitiatingProcessTokenElevation": "string", "ReportId": "long", "AppGuardContainerId": "string",
    "AdditionalFields": "dynamic", "InitiatingProcessSessionId": "long",
    "IsInitiatingProcessRemoteSession": "bool", "InitiatingProcessRemoteSessionDeviceName": "string",
    "InitiatingProcessRemoteSessionIP": "string",
}

_DEVICE_INFO = {
    "Timestamp": "datetime", "DeviceId": "string", "DeviceName": "string", "ClientVersion": "string",
    "PublicIP": "string", "OSArchitecture": "string", "OSPlatform": "string", "OSBuild": "long",
    "IsAzureADJoined": "bool", "JoinType": "string", "AadDeviceId": "string", "LoggedOnUsers": "dynamic",
    "RegistryDeviceTag": "string", "OSVersion": "string", "MachineGroup": "string", "ReportId": "long",
    "OnboardingStatus": "string", "AdditionalFields": "dynamic", "DeviceCategory": "string",
    "DeviceType": "string", "DeviceSubtype": "string", "Model": "string", "Vendor": "string",
    "OSDistribution": "string", "OSVersionInfo": "string", "MergedDeviceIds": "string",
    "MergedToDeviceId": "string", "IsInternetFacing": "bool", "SensorHealthState": "string",
    "IsExcluded": "bool", "ExclusionReason": "string", "ExposureLevel": "string", "AssetValue": "string",
    "DeviceManualTags": "string", "DeviceDynamicTags": "string", "ConnectivityType": "string",
    "HostDeviceId": "string",
}

#: Kusto column types of the tables we know, by table name.
TABLES: dict[str, dict[str, str]] = {
    "DeviceNetworkEvents": _NETWORK_EVENTS,
    "DeviceInfo": _DEVICE_INFO,
}

#: How each Kusto type is stored in DuckDB (datetimes as naive UTC TIMESTAMP).
DUCKDB_TYPES = {
    "datetime": "TIMESTAMP", "string": "VARCHAR", "int": "INTEGER", "long": "BIGINT",
    "real": "DOUBLE", "bool": "BOOLEAN", "dynamic": "JSON", "guid": "VARCHAR", "timespan": "INTERVAL",
    "decimal": "DOUBLE",
}

#: The other way, for answering like Log Analytics does (column "type" in its JSON).
KUSTO_TYPES = {
    "TIMESTAMP": "datetime", "TIMESTAMP WITH TIME ZONE": "datetime", "VARCHAR": "string",
    "INTEGER": "int", "BIGINT": "long", "HUGEINT": "long", "SMALLINT": "int", "TINYINT": "int",
    "DOUBLE": "real", "FLOAT": "real", "BOOLEAN": "bool", "JSON": "dynamic", "INTERVAL": "timespan",
    "UUID": "guid", "DATE": "datetime",
}


def column_types(table: str) -> dict[str, str]:
    """Kusto types of the table's known columns; empty for a table we do not know."""
    return TABLES.get(table, {})
