using Pdp.Server.Policies;

namespace Pdp.Server.Admin;

/// <summary>Plain-HTTP endpoints for the orchestrator: liveness and readiness.</summary>
public static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Alive as long as the process answers; restarting would not fix a bad policy set.
        endpoints.MapGet("/healthz", () => Results.Text("ok\n"));

        // Ready only with a policy revision loaded: before that, every decision would be refused.
        endpoints.MapGet("/readyz", (PolicyStore store) => store.Current is { } current
            ? Results.Text($"ready {current.PolicySet.Revision}\n")
            : Results.Text("not ready: no policy revision loaded\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        return endpoints;
    }
}
