namespace Pdp.Server.Lifecycle;

/// <summary>The service names the gRPC health service reports: the decision service turns serving once a policy revision loads, and not serving while draining.</summary>
public static class HealthNames
{
    public const string DecisionService = "pdp.v1.DecisionService";
}
