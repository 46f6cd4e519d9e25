"""Local fakes that speak the real APIs (Log Analytics, Teams, ServiceNow, ...), shared by the tests."""
